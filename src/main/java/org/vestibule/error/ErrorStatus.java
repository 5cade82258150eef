package org.vestibule.error;

/**
 * The Matrix error for an HTTP status that no handler explained: what the servlet container (or
 * Tomcat itself, before Spring) decided. One mapping for the {@code /error} page and the valve.
 */
public record ErrorStatus(int status, String errcode, String message) {

    public static ErrorStatus of(int status) {
        String errcode = switch (status) {
            // The container refused the request line, headers or framing: nothing was read as JSON.
            case 400 -> Errcode.UNRECOGNIZED;
            case 401 -> Errcode.UNAUTHORIZED;
            case 403 -> Errcode.FORBIDDEN;
            case 404, 405, 501 -> Errcode.UNRECOGNIZED;
            case 413 -> Errcode.TOO_LARGE;
            default -> Errcode.UNKNOWN;
        };
        String message = switch (status) {
            case 400 -> "Bad request: the server could not parse it";
            case 404 -> "Unrecognized request";
            case 405 -> "The method is not allowed on this path";
            case 408 -> "The request took too long to arrive";
            case 411 -> "The request needs a Content-Length or chunked Transfer-Encoding";
            case 413 -> "The request body is too large";
            case 417 -> "The request's Expect header is not supported (only 100-continue is)";
            case 501 -> "The server does not implement this (method or Transfer-Encoding)";
            case 503 -> "The server is temporarily unavailable; try again in a few seconds";
            case 505 -> "The HTTP version is not supported; use HTTP/1.1";
            default -> "Request failed with status " + status;
        };
        return new ErrorStatus(status, errcode, message);
    }

    public ErrorStatus withMessage(String message) {
        return new ErrorStatus(status, errcode, message);
    }
}
