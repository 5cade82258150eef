package org.vestibule.federation.outbound;

/**
 * No usable answer from a peer: its name did not resolve or only to refused addresses, the
 * connection or TLS failed, the request timed out, or the response was too large or not JSON.
 */
public final class FederationUnreachableException extends FederationException {

    public FederationUnreachableException(String destination, String message, Throwable cause) {
        super(destination, message, cause);
    }
}
