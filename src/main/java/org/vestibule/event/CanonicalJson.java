package org.vestibule.event;

import java.math.BigInteger;
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
        Utf8Writer out = new Utf8Writer();
        write(out, value);
        return out.toByteArray();
    }

    /** Encodes a value as a canonical JSON string. */
    public static String encodeToString(Object value) {
        return new String(encode(value), StandardCharsets.UTF_8);
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

    private static void write(Utf8Writer out, Object value) {
        if (value == null) {
            out.appendAscii("null");
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
            out.appendAscii(b ? "true" : "false");
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            long l = ((Number) value).longValue();
            if (l > MAX_SAFE_INTEGER || l < -MAX_SAFE_INTEGER) {
                throw new IllegalArgumentException("integer " + l + " is outside canonical JSON's range ±(2^53-1)");
            }
            out.appendAscii(Long.toString(l));
        } else if (value instanceof BigInteger bi) {
            if (bi.bitLength() > 53) {
                throw new IllegalArgumentException("integer " + bi + " is outside canonical JSON's range ±(2^53-1)");
            }
            out.appendAscii(Long.toString(bi.longValueExact()));
        } else if (value instanceof Number n) {
            throw new IllegalArgumentException("canonical JSON allows integers only, not " + n);
        } else {
            throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    private static void writeObject(Utf8Writer out, Map<?, ?> map) {
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

    private static void writeString(Utf8Writer out, String s) {
        out.append('"');
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.appendAscii("\\\"");
                case '\\' -> out.appendAscii("\\\\");
                case '\b' -> out.appendAscii("\\b");
                case '\t' -> out.appendAscii("\\t");
                case '\n' -> out.appendAscii("\\n");
                case '\f' -> out.appendAscii("\\f");
                case '\r' -> out.appendAscii("\\r");
                default -> {
                    if (c < 0x20) {
                        out.appendAscii("\\u00");
                        out.append(HEX[c >> 4]);
                        out.append(HEX[c & 0xF]);
                    } else if (c < 0x80) {
                        out.append(c);
                    } else if (c < 0x800) {
                        out.appendByte(0xC0 | (c >> 6));
                        out.appendByte(0x80 | (c & 0x3F));
                    } else if (Character.isSurrogate(c)) {
                        // A pair makes one code point of four bytes; a lone surrogate has no UTF-8 form.
                        if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                            int cp = Character.toCodePoint(c, s.charAt(++i));
                            out.appendByte(0xF0 | (cp >> 18));
                            out.appendByte(0x80 | ((cp >> 12) & 0x3F));
                            out.appendByte(0x80 | ((cp >> 6) & 0x3F));
                            out.appendByte(0x80 | (cp & 0x3F));
                        } else {
                            throw new IllegalArgumentException(
                                    "string contains a lone UTF-16 surrogate, which has no UTF-8 form");
                        }
                    } else {
                        out.appendByte(0xE0 | (c >> 12));
                        out.appendByte(0x80 | ((c >> 6) & 0x3F));
                        out.appendByte(0x80 | (c & 0x3F));
                    }
                }
            }
        }
        out.append('"');
    }

    /** A growable byte buffer written as UTF-8 directly, without an intermediate String. */
    private static final class Utf8Writer {
        private byte[] buf = new byte[512];
        private int len;

        void append(char ascii) {
            ensure(1);
            buf[len++] = (byte) ascii;
        }

        void appendByte(int b) {
            ensure(1);
            buf[len++] = (byte) b;
        }

        void appendAscii(String ascii) {
            int n = ascii.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[len++] = (byte) ascii.charAt(i);
            }
        }

        private void ensure(int extra) {
            if (len + extra > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, len);
        }
    }
}
