package org.vestibule.error;

import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import org.vestibule.event.EventFormatException;
import org.vestibule.event.MalformedJsonException;

/** Every error leaves as a Matrix error body with the spec's status; never a stack trace. */
@RestControllerAdvice
class MatrixErrorHandler {

    private static final Logger log = LoggerFactory.getLogger(MatrixErrorHandler.class);

    private final ApplicationEventPublisher events;

    MatrixErrorHandler(ApplicationEventPublisher events) {
        this.events = events;
    }

    static ResponseEntity<Map<String, Object>> body(int status, String errcode, String message, Map<String, Object> extra) {
        // The type is set, not negotiated: an error answer is JSON whatever the request's Accept says.
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(json(errcode, message, extra));
    }

    /** A Matrix error body: errcode, error, then any extra fields. */
    static Map<String, Object> json(String errcode, String message, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("errcode", errcode);
        body.put("error", message);
        body.putAll(extra);
        return body;
    }

    /**
     * 503 while PostgreSQL is down or restarting. The spec has no errcode for it, so M_UNKNOWN, as
     * Synapse sends for every server-side failure; Retry-After (RFC 9110 §10.2.3) says when to retry.
     */
    static ResponseEntity<Map<String, Object>> databaseUnavailable() {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header("Retry-After", Integer.toString(DatabaseUnavailable.RETRY_AFTER_SECONDS))
                .contentType(MediaType.APPLICATION_JSON)
                .body(json(Errcode.UNKNOWN, "The database is unavailable; try again in a few seconds", Map.of()));
    }

    @ExceptionHandler(MatrixException.class)
    ResponseEntity<Map<String, Object>> matrix(MatrixException e) {
        ResponseEntity<Map<String, Object>> response = body(e.status(), e.errcode(), e.getMessage(), e.extra());
        if (e.status() == 429 && e.extra().get(MatrixException.RETRY_AFTER_MS) instanceof Long ms) {
            // RFC 9110 §10.2.3: whole seconds, rounded up so a client that waits that long is let through.
            return ResponseEntity.status(429).header("Retry-After", Long.toString((ms + 999) / 1000))
                    .contentType(MediaType.APPLICATION_JSON).body(response.getBody());
        }
        return response;
    }

    @ExceptionHandler(MalformedJsonException.class)
    ResponseEntity<Map<String, Object>> malformed(MalformedJsonException e) {
        return matrix(JsonBody.notJson(e));
    }

    @ExceptionHandler(EventFormatException.class)
    ResponseEntity<Map<String, Object>> eventFormat(EventFormatException e) {
        return body(400, Errcode.BAD_JSON, "The event is malformed: " + e.getMessage(), Map.of());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Map<String, Object>> notReadable(HttpMessageNotReadableException e) {
        return body(400, Errcode.NOT_JSON, "The body could not be read as JSON of the expected shape", Map.of());
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Map<String, Object>> mediaType(HttpMediaTypeNotSupportedException e) {
        return body(400, Errcode.NOT_JSON, "The body must be JSON (Content-Type: application/json)", Map.of());
    }

    /** Only the actuator's endpoints negotiate (config/JsonAnswers); the others answer JSON to any Accept. */
    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<Map<String, Object>> notAcceptable(HttpMediaTypeNotAcceptableException e) {
        return body(HttpStatus.NOT_ACCEPTABLE.value(), Errcode.UNKNOWN, "This endpoint cannot answer in a type the "
                + "Accept header allows; it answers " + e.getSupportedMediaTypes(), Map.of());
    }

    @ExceptionHandler(MissingServletRequestParameterException.class)
    ResponseEntity<Map<String, Object>> missingParam(MissingServletRequestParameterException e) {
        return body(400, Errcode.MISSING_PARAM, "The query parameter '" + e.getParameterName() + "' is required", Map.of());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<Map<String, Object>> typeMismatch(MethodArgumentTypeMismatchException e) {
        return body(400, Errcode.INVALID_PARAM, "The parameter '" + e.getName() + "' has an invalid value", Map.of());
    }

    @ExceptionHandler({NoHandlerFoundException.class, NoResourceFoundException.class})
    ResponseEntity<Map<String, Object>> noHandler(Exception e, HttpServletRequest request) {
        return body(404, Errcode.UNRECOGNIZED, "Unrecognized request: " + request.getMethod() + " "
                + request.getRequestURI(), Map.of());
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<Map<String, Object>> method(HttpRequestMethodNotSupportedException e, HttpServletRequest request) {
        return body(HttpStatus.METHOD_NOT_ALLOWED.value(), Errcode.UNRECOGNIZED, "Method " + request.getMethod()
                + " is not supported on " + request.getRequestURI(), Map.of());
    }

    /**
     * A Tomcat query string with a bad %-escape or bytes that are not UTF-8: Tomcat throws it on the
     * first look at a parameter, which is Spring's, so it reaches us rather than Tomcat's error page.
     */
    @ExceptionHandler(InvalidParameterException.class)
    ResponseEntity<Map<String, Object>> invalidQuery(InvalidParameterException e) {
        return body(400, Errcode.INVALID_PARAM, "The query string is malformed: it has a bad %-escape, or bytes "
                + "that are not UTF-8", Map.of());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Map<String, Object>> unexpected(Exception e, HttpServletRequest request) {
        if (DatabaseUnavailable.causedBy(e)) {
            log.warn("The database is unavailable; answered {} {} with 503: {}", request.getMethod(),
                    request.getRequestURI(), e.toString());
            events.publishEvent(new DatabaseOutageSeen(request.getMethod(), request.getRequestURI()));
            return databaseUnavailable();
        }
        if (UnstorableText.causedBy(e)) {
            log.info("Refused {} {}: a text value contains U+0000", request.getMethod(), request.getRequestURI());
            return body(400, Errcode.INVALID_PARAM, "A text value in the request contains U+0000 (NUL), which this "
                    + "server cannot store; send the text without it", Map.of());
        }
        log.error("Unexpected error handling {} {}", request.getMethod(), request.getRequestURI(), e);
        return body(500, Errcode.UNKNOWN, "Internal server error; the server log has the details", Map.of());
    }
}
