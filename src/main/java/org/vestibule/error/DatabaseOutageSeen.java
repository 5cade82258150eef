package org.vestibule.error;

/**
 * Published for each request answered 503 because PostgreSQL could not be reached: a peer's
 * request among them makes that peer back off from us (Synapse: 10 minutes, doubling), which
 * whoever listens may undo once the database is back.
 */
public record DatabaseOutageSeen(String method, String path) {
}
