package org.vestibule.federation.inbound;

/**
 * The server that sent a federation request, as proven by its X-Matrix signature. Declare it as
 * a controller method parameter under {@code /_matrix/federation/}; it is only ever resolved for
 * requests whose signature checked out.
 */
public record Origin(String serverName) {

    /** The request attribute holding the authenticated origin. */
    static final String ATTRIBUTE = Origin.class.getName();
}
