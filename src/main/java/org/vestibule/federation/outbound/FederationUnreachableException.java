package org.vestibule.federation.outbound;

/**
 * No usable answer from a peer: its name did not resolve or only to refused addresses, the
 * connection or TLS failed, the request timed out, or the response was too large or not JSON.
 */
public sealed class FederationUnreachableException extends FederationException
        permits FederationResponseTooLargeException {

    public FederationUnreachableException(String destination, String message, Throwable cause) {
        super(destination, message, cause);
    }
}
