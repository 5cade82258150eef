package org.vestibule.federation.outbound;

/**
 * An outbound federation request failed: either the peer answered with an error
 * ({@link FederationErrorResponseException}) or we got no usable answer at all
 * ({@link FederationUnreachableException}), which callers treat as a reason to try another server.
 */
public abstract sealed class FederationException extends RuntimeException
        permits FederationErrorResponseException, FederationUnreachableException {

    private final String destination;

    FederationException(String destination, String message, Throwable cause) {
        super(message, cause);
        this.destination = destination;
    }

    /** The server name the request was for. */
    public String destination() {
        return destination;
    }
}
