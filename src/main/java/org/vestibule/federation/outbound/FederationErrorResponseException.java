package org.vestibule.federation.outbound;

import java.util.Map;

/** The peer answered with a status other than 2xx; its Matrix error, if it sent one, is here. */
public final class FederationErrorResponseException extends FederationException {

    private final int status;
    private final String errcode;
    private final String error;
    private final byte[] body;
    private final Map<String, Object> json;

    FederationErrorResponseException(String destination, String request, int status, String errcode, String error,
                                     byte[] body, Map<String, Object> json) {
        super(destination, request + " to " + destination + " answered " + status
                + (errcode != null ? " " + errcode : "") + (error != null ? ": " + error : ""), null);
        this.status = status;
        this.errcode = errcode;
        this.error = error;
        this.body = body;
        this.json = json;
    }

    public int status() {
        return status;
    }

    /** The {@code errcode} of the body, or null when the body is not a Matrix error. */
    public String errcode() {
        return errcode;
    }

    /** The {@code error} message of the body, or null. */
    public String error() {
        return error;
    }

    /** The raw response body. */
    public byte[] body() {
        return body.clone();
    }

    /** The body as a JSON object, or null when it is not one. */
    public Map<String, Object> json() {
        return json;
    }
}
