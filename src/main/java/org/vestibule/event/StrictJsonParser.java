package org.vestibule.event;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * A strict JSON parser for what peers sign: it refuses duplicate keys, numbers with a fraction
 * or exponent, integers outside ±(2^53-1), invalid UTF-8, lone surrogates, nesting deeper than
 * {@link Limits#maxDepth()}, input longer than {@link Limits#maxBytes()}, and input whose values would
 * take more than {@link #MAX_EXPANSION} times its length in memory.
 *
 * <p>It yields the event core's JSON model: unmodifiable {@code Map<String,Object>} (insertion
 * ordered), unmodifiable {@code List<Object>}, {@code String}, {@code Long}, {@code Boolean} and
 * {@code null}.
 */
public final class StrictJsonParser {

    /**
     * How many times its length a JSON text may take in memory once parsed. Events as Synapse makes
     * them take 4.3 times (measured, and so estimated here), compact objects with short IDs about 9;
     * {@code [{"a":0},{"a":0},…]} would take 31, and an 8 MB federation body of it (unauthenticated:
     * the signature is checked on the parsed body) filled a 256 MB heap by itself. The fixed part lets
     * a document of a few KB (an EDU, a client's body) be as dense as it likes.
     */
    public static final int MAX_EXPANSION = 16;
    private static final int EXPANSION_SLACK = 64 * 1024;

    /**
     * Bounds on accepted input.
     *
     * @param maxBytes largest input, in bytes
     * @param maxDepth deepest nesting of objects and arrays (the top level is depth 1)
     */
    public record Limits(int maxBytes, int maxDepth) {
        /** A PDU: 65,536 bytes (spec §Size limits) and 64 levels, far beyond any real event. */
        public static final Limits PDU = new Limits(65_536, 64);
        /** A federation request body such as a transaction of 50 PDUs and 100 EDUs. */
        public static final Limits REQUEST = new Limits(8 * 1024 * 1024, 64);
        /** A federation response, such as send_join's state of a very large room. */
        public static final Limits RESPONSE = new Limits(512 * 1024 * 1024, 64);
    }

    private final byte[] in;
    private final int end;
    private final int maxDepth;
    private final long maxHeld;
    /** Asked before the estimate passes {@link #granted}: may the values take this many bytes? */
    private final LongPredicate mayHold;
    private long granted;
    private int pos;
    /** An estimate of the memory the values parsed so far take (compressed references, 8-byte alignment). */
    private long held;

    private StrictJsonParser(byte[] in, int maxDepth, LongPredicate mayHold) {
        this.in = in;
        this.end = in.length;
        this.maxDepth = maxDepth;
        this.maxHeld = (long) MAX_EXPANSION * in.length + EXPANSION_SLACK;
        this.mayHold = mayHold;
        this.granted = mayHold == null ? maxHeld : 0;
    }

    /** Parses one JSON value, which must be an object. */
    public static Map<String, Object> parseObject(byte[] json, Limits limits) {
        Object value = parse(json, limits);
        if (!(value instanceof Map<?, ?>)) {
            throw new MalformedJsonException("expected a JSON object at the top level");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        return map;
    }

    /** Parses one JSON value. */
    public static Object parse(byte[] json, Limits limits) {
        return parse(json, limits, null);
    }

    /**
     * Parses one JSON value whose values must also fit in memory that others share: {@code mayHold}
     * is asked, a step ahead (up to {@value #GRANT_STEP} bytes), whether the values parsed so far may take
     * that many bytes, and a refusal ends the parse as too large; at the end it is told what they
     * came to.
     */
    public static Object parse(byte[] json, Limits limits, LongPredicate mayHold) {
        if (json.length > limits.maxBytes()) {
            throw new MalformedJsonException("JSON is " + json.length + " bytes, over the limit of "
                    + limits.maxBytes() + " bytes", true);
        }
        StrictJsonParser parser = new StrictJsonParser(json, limits.maxDepth(), mayHold);
        parser.skipWhitespace();
        Object value = parser.value(1, "$");
        parser.skipWhitespace();
        if (parser.pos != parser.end) {
            throw parser.error("unexpected content after the JSON value", "$");
        }
        if (mayHold != null) {
            mayHold.test(parser.held); // what they came to, below the last step: always granted
        }
        return value;
    }

    private Object value(int depth, String path) {
        if (pos >= end) {
            throw error("unexpected end of input", path);
        }
        byte b = in[pos];
        switch (b) {
            case '{':
                return object(depth, path);
            case '[':
                return array(depth, path);
            case '"':
                return string(path);
            case 't':
                literal("true", path);
                return Boolean.TRUE;
            case 'f':
                literal("false", path);
                return Boolean.FALSE;
            case 'n':
                literal("null", path);
                return null;
            default:
                if (b == '-' || (b >= '0' && b <= '9')) {
                    return number(path);
                }
                throw error("unexpected character '" + printable(b) + "'", path);
        }
    }

    private Map<String, Object> object(int depth, String path) {
        if (depth > maxDepth) {
            throw error("nesting is deeper than " + maxDepth + " levels", path);
        }
        pos++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.emptyMap(); // shared: an empty object takes no memory of its own
        }
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        hold(MAP);
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key", path);
            }
            String key = string(path);
            String childPath = path + "." + key;
            skipWhitespace();
            expect(':', childPath);
            skipWhitespace();
            Object value = value(depth + 1, childPath);
            if (map.containsKey(key)) {
                throw error("duplicate key \"" + key + "\"", path);
            }
            map.put(key, value);
            hold(MAP_ENTRY + (Integer.bitCount(map.size()) == 1 ? 4L * map.size() : 0)); // the table doubles
            skipWhitespace();
            byte next = peek();
            if (next == ',') {
                pos++;
            } else if (next == '}') {
                pos++;
                return Collections.unmodifiableMap(map);
            } else {
                throw error("expected ',' or '}'", path);
            }
        }
    }

    private List<Object> array(int depth, String path) {
        if (depth > maxDepth) {
            throw error("nesting is deeper than " + maxDepth + " levels", path);
        }
        pos++; // '['
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.emptyList();
        }
        ArrayList<Object> list = new ArrayList<>();
        hold(LIST);
        while (true) {
            skipWhitespace();
            list.add(value(depth + 1, path + "[" + list.size() + "]"));
            hold(LIST_SLOT);
            skipWhitespace();
            byte next = peek();
            if (next == ',') {
                pos++;
            } else if (next == ']') {
                pos++;
                return Collections.unmodifiableList(list);
            } else {
                throw error("expected ',' or ']'", path);
            }
        }
    }

    private Long number(String path) {
        int start = pos;
        boolean negative = false;
        if (in[pos] == '-') {
            negative = true;
            pos++;
        }
        if (pos >= end || in[pos] < '0' || in[pos] > '9') {
            throw error("invalid number", path);
        }
        if (in[pos] == '0' && pos + 1 < end && in[pos + 1] >= '0' && in[pos + 1] <= '9') {
            throw error("numbers must not have leading zeros", path);
        }
        long value = 0;
        int digits = 0;
        while (pos < end && in[pos] >= '0' && in[pos] <= '9') {
            value = value * 10 + (in[pos] - '0');
            pos++;
            if (++digits > 16) {
                throw error("integer " + new String(in, start, pos - start) + "… is outside ±(2^53-1)", path);
            }
        }
        if (pos < end && (in[pos] == '.' || in[pos] == 'e' || in[pos] == 'E')) {
            throw error("numbers must be integers, without a fraction or exponent", path);
        }
        if (value > CanonicalJson.MAX_SAFE_INTEGER) {
            throw error("integer " + (negative ? "-" : "") + value + " is outside ±(2^53-1)", path);
        }
        if (value > 127) {
            hold(BOXED); // Long.valueOf shares -128…127
        }
        return negative ? -value : value;
    }

    private String string(String path) {
        pos++; // opening quote
        StringBuilder sb = null;
        int runStart = pos;
        while (true) {
            if (pos >= end) {
                throw error("unterminated string", path);
            }
            int b = in[pos] & 0xFF;
            if (b == '"') {
                String s = sb != null ? sb.toString() : pos == runStart ? "" : asciiOrUtf8(runStart, pos, path);
                hold(s.isEmpty() ? 0 : STRING + (sb == null ? s.length() : 2L * s.length()));
                pos++;
                return s;
            }
            if (sb == null && (b == '\\' || b >= 0x80)) {
                sb = new StringBuilder();
                sb.append(new String(in, runStart, pos - runStart, StandardCharsets.ISO_8859_1));
            }
            if (b < 0x20) {
                throw error("unescaped control character U+00" + hex2(b) + " in string", path);
            } else if (b == '\\') {
                escape(sb, path);
            } else if (b >= 0x80) {
                utf8(sb, path);
            } else {
                if (sb != null) {
                    sb.append((char) b);
                }
                pos++;
            }
        }
    }

    // What each value takes: object headers, fields and arrays with compressed references.
    private static final long MAP = 56 + 24 + 80; // LinkedHashMap, its unmodifiable view, a 16-slot table
    private static final long MAP_ENTRY = 40;
    private static final long LIST = 24 + 16 + 56; // ArrayList, its unmodifiable view, 10 slots
    private static final long LIST_SLOT = 6; // a reference and the growth of 1.5 at a time
    private static final long STRING = 24 + 16 + 8; // String, its byte[] header, alignment
    private static final long BOXED = 16;

    /**
     * How far ahead of the estimate memory is asked for: as much again as it is, from 64 KiB to a
     * MiB, so a small document asks once for little and a large one once a MiB.
     */
    static final int GRANT_STEP = 1 << 20;
    private static final int FIRST_GRANT = 64 * 1024;

    private void hold(long bytes) {
        held += bytes;
        if (held > granted) {
            if (held > maxHeld) {
                throw new MalformedJsonException("the JSON's " + end + " bytes would take over " + maxHeld
                        + " bytes of memory once parsed (" + MAX_EXPANSION + " times its size): too many values, such as"
                        + " empty strings or tiny objects, for its length", true);
            }
            long wanted = Math.min(held + Math.max(FIRST_GRANT, Math.min(held, GRANT_STEP)), maxHeld);
            if (!mayHold.test(wanted)) {
                throw new MalformedJsonException("the JSON's " + end + " bytes would take over " + held
                        + " bytes of memory once parsed, more than is free for it now", true);
            }
            granted = wanted;
        }
    }

    private String asciiOrUtf8(int from, int to, String path) {
        return new String(in, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private void escape(StringBuilder sb, String path) {
        pos++; // backslash
        if (pos >= end) {
            throw error("unterminated escape", path);
        }
        byte e = in[pos++];
        switch (e) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
                char c = hex4(path);
                if (Character.isHighSurrogate(c)) {
                    if (pos + 1 < end && in[pos] == '\\' && in[pos + 1] == 'u') {
                        pos += 2;
                        char low = hex4(path);
                        if (!Character.isLowSurrogate(low)) {
                            throw error("a high surrogate escape is not followed by a low surrogate", path);
                        }
                        sb.append(c).append(low);
                    } else {
                        throw error("lone surrogate escape \\u" + Integer.toHexString(c), path);
                    }
                } else if (Character.isLowSurrogate(c)) {
                    throw error("lone surrogate escape \\u" + Integer.toHexString(c), path);
                } else {
                    sb.append(c);
                }
            }
            default -> throw error("invalid escape '\\" + printable(e) + "'", path);
        }
    }

    private char hex4(String path) {
        if (pos + 4 > end) {
            throw error("truncated \\u escape", path);
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(in[pos++], 16);
            if (d < 0) {
                throw error("invalid hex digit in \\u escape", path);
            }
            v = (v << 4) | d;
        }
        return (char) v;
    }

    private void utf8(StringBuilder sb, String path) {
        int b0 = in[pos] & 0xFF;
        int need;
        int cp;
        int min;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
            cp = b0 & 0x1F;
            min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            cp = b0 & 0x0F;
            min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            throw error("invalid UTF-8 byte 0x" + hex2(b0), path);
        }
        if (pos + need >= end) {
            throw error("truncated UTF-8 sequence", path);
        }
        for (int i = 1; i <= need; i++) {
            int b = in[pos + i] & 0xFF;
            if ((b & 0xC0) != 0x80) {
                throw error("invalid UTF-8 continuation byte 0x" + hex2(b), path);
            }
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            throw error("invalid UTF-8 sequence (overlong, surrogate or beyond U+10FFFF)", path);
        }
        pos += need + 1;
        sb.appendCodePoint(cp);
    }

    private void literal(String word, String path) {
        int n = word.length();
        if (pos + n > end) {
            throw error("unexpected end of input", path);
        }
        for (int i = 0; i < n; i++) {
            if (in[pos + i] != word.charAt(i)) {
                throw error("invalid literal, expected " + word, path);
            }
        }
        pos += n;
    }

    private void expect(char c, String path) {
        if (peek() != c) {
            throw error("expected '" + c + "'", path);
        }
        pos++;
    }

    private byte peek() {
        return pos < end ? in[pos] : 0;
    }

    private void skipWhitespace() {
        while (pos < end) {
            byte b = in[pos];
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                pos++;
            } else {
                return;
            }
        }
    }

    private MalformedJsonException error(String what, String path) {
        return new MalformedJsonException(what + " at byte " + pos + " (" + truncate(path) + ")");
    }

    private static String truncate(String path) {
        return path.length() > 120 ? path.substring(0, 117) + "..." : path;
    }

    private static String hex2(int b) {
        return String.format("%02X", b & 0xFF);
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : "0x" + hex2(b);
    }
}
