package org.vestibule.error;

import java.util.Map;

/**
 * A Matrix error a peer or client sees: an HTTP status, an errcode and a message a person can act
 * on, plus any extra body fields the spec asks for (e.g. {@code room_version}).
 */
public class MatrixException extends RuntimeException {

    /** The body field of a 429 that says how long to wait. */
    public static final String RETRY_AFTER_MS = "retry_after_ms";

    private final int status;
    private final String errcode;
    private final Map<String, Object> extra;

    public MatrixException(int status, String errcode, String message) {
        this(status, errcode, message, Map.of());
    }

    public MatrixException(int status, String errcode, String message, Map<String, Object> extra) {
        super(message, null, false, false);
        this.status = status;
        this.errcode = errcode;
        this.extra = Map.copyOf(extra);
    }

    public int status() {
        return status;
    }

    public String errcode() {
        return errcode;
    }

    public Map<String, Object> extra() {
        return extra;
    }

    public static MatrixException badJson(String message) {
        return new MatrixException(400, Errcode.BAD_JSON, message);
    }

    public static MatrixException invalidParam(String message) {
        return new MatrixException(400, Errcode.INVALID_PARAM, message);
    }

    public static MatrixException forbidden(String message) {
        return new MatrixException(403, Errcode.FORBIDDEN, message);
    }

    /**
     * 429 M_LIMIT_EXCEEDED with {@code retry_after_ms} (spec client-server §Rate limiting); the
     * error handler adds the {@code Retry-After} header from it.
     */
    public static MatrixException limitExceeded(long retryAfterMs, String message) {
        return new MatrixException(429, Errcode.LIMIT_EXCEEDED, message, Map.of(RETRY_AFTER_MS, retryAfterMs));
    }

    public static MatrixException notFound(String message) {
        return new MatrixException(404, Errcode.NOT_FOUND, message);
    }

    @Override
    public String toString() {
        return status + " " + errcode + ": " + getMessage();
    }
}
