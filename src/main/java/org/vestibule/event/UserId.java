package org.vestibule.event;

/** A Matrix user ID, {@code @localpart:server}. */
public record UserId(String localpart, String server) {

    /** Parses a user ID, throwing IllegalArgumentException with the reason when it is not one. */
    public static UserId parse(String id) {
        return Identifiers.parseUserId(id)
                .orElseThrow(() -> new IllegalArgumentException("not a valid user ID: " + id));
    }

    @Override
    public String toString() {
        return "@" + localpart + ":" + server;
    }
}
