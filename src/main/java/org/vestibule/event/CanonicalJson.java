package org.vestibule.event;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;

/**
 * Canonical JSON (spec appendices §Canonical JSON): the shortest UTF-8 encoding with keys
 * sorted by Unicode code point, integers only, and only the grammar's escapes.
 *
 * <p>Values are the plain Java JSON model used across the event core: {@code Map<String,?>},
 * {@code List<?>} (any {@link Collection}), {@code String}, integral {@code Number}s,
 * {@code Boolean} and {@code null}.
 */
public final class CanonicalJson {

    /** Largest integer canonical JSON allows: 2^53 - 1. */
    public static final long MAX_SAFE_INTEGER = 9007199254740991L;

    /** Orders strings by Unicode code point, which differs from UTF-16 order above U+FFFF. */
    public static final Comparator<String> CODE_POINT_ORDER = CanonicalJson::compareByCodePoint;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CanonicalJson() {}

    /** Encodes a value as canonical JSON bytes. */
    public static byte[] encode(Object value) {
        StringBuilder out = new StringBuilder(256);
        write(out, value);
        return utf8(out);
    }

    /** Encodes a value as a canonical JSON string. */
    public static String encodeToString(Object value) {
        StringBuilder out = new StringBuilder(256);
        write(out, value);
        return out.toString();
    }

    static int compareByCodePoint(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return fixup(x) - fixup(y);
            }
        }
        return a.length() - b.length();
    }

    // Surrogates stand for code points above U+FFFF, so they must sort after U+E000..U+FFFF.
    private static int fixup(char c) {
        if (c < 0xD800) {
            return c;
        }
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }

    private static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            writeString(out, s);
        } else if (value instanceof Map<?, ?> map) {
            writeObject(out, map);
        } else if (value instanceof Collection<?> list) {
            out.append('[');
            boolean first = true;
            for (Object item : list) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(out, item);
            }
            out.append(']');
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            long l = ((Number) value).longValue();
            if (l > MAX_SAFE_INTEGER || l < -MAX_SAFE_INTEGER) {
                throw new IllegalArgumentException("integer " + l + " is outside canonical JSON's range ±(2^53-1)");
            }
            out.append(l);
        } else if (value instanceof java.math.BigInteger bi) {
            if (bi.bitLength() > 53) {
                throw new IllegalArgumentException("integer " + bi + " is outside canonical JSON's range ±(2^53-1)");
            }
            out.append(bi.longValueExact());
        } else if (value instanceof Number n) {
            throw new IllegalArgumentException("canonical JSON allows integers only, not " + n);
        } else {
            throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    private static void writeObject(StringBuilder out, Map<?, ?> map) {
        String[] keys = new String[map.size()];
        int i = 0;
        for (Object key : map.keySet()) {
            if (!(key instanceof String s)) {
                throw new IllegalArgumentException("JSON object keys must be strings, not " + key);
            }
            keys[i++] = s;
        }
        Arrays.sort(keys, CODE_POINT_ORDER);
        out.append('{');
        for (int k = 0; k < keys.length; k++) {
            if (k > 0) {
                out.append(',');
            }
            writeString(out, keys[k]);
            out.append(':');
            write(out, map.get(keys[k]));
        }
        out.append('}');
    }

    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static byte[] utf8(StringBuilder chars) {
        // A reporting encoder: String.getBytes would silently turn a lone surrogate into '?'.
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer buffer = encoder.encode(CharBuffer.wrap(chars));
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string contains a lone UTF-16 surrogate, which has no UTF-8 form");
        }
    }
}
