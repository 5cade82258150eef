package org.vestibule.federation.outbound;

/**
 * The peer's answer was larger than the caller's limit, so we stopped reading it. Still
 * "unreachable" for callers that fail over; media callers answer it with the spec's M_TOO_LARGE.
 */
public final class FederationResponseTooLargeException extends FederationUnreachableException {

    FederationResponseTooLargeException(String destination, String message, Throwable cause) {
        super(destination, message, cause);
    }
}
