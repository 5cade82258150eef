package org.vestibule.error;

import java.util.List;
import java.util.Map;
import org.vestibule.event.Json;
import org.vestibule.event.MalformedJsonException;
import org.vestibule.event.StrictJsonParser;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client request body read with the strict parser, so event content is canonical-JSON safe; every
 * failure is the Matrix error a client can act on (M_NOT_JSON, M_BAD_JSON, M_MISSING_PARAM).
 */
public record JsonBody(Map<String, Object> map) {

    /** The largest client request body any endpoint parses; the web server reads no more (config/RequestBodyLimit). */
    public static final int MAX_BYTES = 1024 * 1024;
    private static final StrictJsonParser.Limits LIMITS = new StrictJsonParser.Limits(MAX_BYTES, 64);
    /** For bodies of a few fields (a reason, a displayname, a room ID), not event content. */
    public static final StrictJsonParser.Limits SMALL = new StrictJsonParser.Limits(64 * 1024, 32);
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    public static JsonBody parse(byte[] body) {
        return parse(body, LIMITS);
    }

    /**
     * The body as a JSON object (empty when there is none); 400 M_NOT_JSON when it is not JSON, 413
     * M_TOO_LARGE over the limit.
     */
    public static JsonBody parse(byte[] body, StrictJsonParser.Limits limits) {
        if (body == null || body.length == 0) {
            return new JsonBody(Map.of());
        }
        if (body.length > limits.maxBytes()) {
            throw tooLarge(body.length, limits.maxBytes());
        }
        try {
            return new JsonBody(StrictJsonParser.parseObject(body, limits));
        } catch (MalformedJsonException e) {
            throw notJson(e);
        }
    }

    /**
     * A body that is no event content (account data, tags): any JSON object, fractions included
     * (a tag's order is one), parsed with Jackson's tree model. 413 over {@code maxBytes}.
     */
    public static Map<String, Object> parseAnyObject(byte[] body, int maxBytes) {
        if (body == null || body.length == 0) {
            throw new MatrixException(400, Errcode.NOT_JSON, "The body must be a JSON object");
        }
        if (body.length > maxBytes) {
            throw tooLarge(body.length, maxBytes);
        }
        Object value;
        try {
            value = MAPPER.readValue(body, Object.class);
        } catch (JacksonException e) {
            throw new MatrixException(400, Errcode.NOT_JSON, "The body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "The body must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) map;
        return object;
    }

    /** 400 M_NOT_JSON, or 413 M_TOO_LARGE for JSON that is well formed but too large once parsed. */
    public static MatrixException notJson(MalformedJsonException e) {
        return e.tooLarge() ? new MatrixException(413, Errcode.TOO_LARGE, "The body is too large: " + e.getMessage())
                : new MatrixException(400, Errcode.NOT_JSON, "The body is not valid JSON: " + e.getMessage());
    }

    private static MatrixException tooLarge(int length, int maxBytes) {
        return new MatrixException(413, Errcode.TOO_LARGE, "The body of " + length + " bytes is over the limit of "
                + maxBytes + " bytes");
    }

    /** Any JSON value as text, as Jackson writes it (for storing what {@link #parseAnyObject} read). */
    public static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    /** Reads what {@link #write} wrote. */
    public static Map<String, Object> readStored(String json) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = MAPPER.readValue(json, Map.class);
        return map;
    }

    public String string(String key) {
        Object v = map.get(key);
        if (v != null && !(v instanceof String)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'" + key + "' must be a string");
        }
        return (String) v;
    }

    public String requireString(String key) {
        String v = string(key);
        if (v == null) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "'" + key + "' is required");
        }
        return v;
    }

    public boolean bool(String key, boolean defaultValue) {
        Object v = map.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Boolean b)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'" + key + "' must be a boolean");
        }
        return b;
    }

    public Map<String, Object> object(String key) {
        Object v = map.get(key);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'" + key + "' must be an object");
        }
        return Json.object(map, key);
    }

    public List<Object> list(String key) {
        Object v = map.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?>)) {
            throw new MatrixException(400, Errcode.BAD_JSON, "'" + key + "' must be an array");
        }
        return Json.list(map, key);
    }
}
