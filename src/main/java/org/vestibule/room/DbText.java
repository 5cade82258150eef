package org.vestibule.room;

/**
 * An event's free-form strings (its type and state key) as PostgreSQL text can hold them. The spec
 * lets them hold any character, U+0000 too, which no text column stores: a Synapse room with such a
 * state key could not be joined, and a remote event with one failed. U+0000 is stored as U+0001 '0'
 * and U+0001 as U+0001 U+0001, so every other string is stored as it is and SQL lookups by it, or
 * by a literal type, work unchanged. What is stored this way is decoded where it is read back.
 */
final class DbText {

    private static final char NUL = '\u0000';
    private static final char ESCAPE = '\u0001';

    private DbText() {}

    static String encode(String value) {
        if (value == null || (value.indexOf(NUL) < 0 && value.indexOf(ESCAPE) < 0)) {
            return value;
        }
        StringBuilder stored = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == NUL) {
                stored.append(ESCAPE).append('0');
            } else if (c == ESCAPE) {
                stored.append(ESCAPE).append(ESCAPE);
            } else {
                stored.append(c);
            }
        }
        return stored.toString();
    }

    static String decode(String stored) {
        if (stored == null || stored.indexOf(ESCAPE) < 0) {
            return stored;
        }
        StringBuilder value = new StringBuilder(stored.length());
        for (int i = 0; i < stored.length(); i++) {
            char c = stored.charAt(i);
            if (c == ESCAPE && i + 1 < stored.length()) {
                char next = stored.charAt(++i);
                value.append(next == '0' ? NUL : next);
            } else {
                value.append(c);
            }
        }
        return value.toString();
    }

    /** Our own words about an event (a rejection that quotes its state key), with U+0000 written out. */
    static String readable(String text) {
        return text == null || text.indexOf(NUL) < 0 ? text : text.replace("\u0000", "\\u0000");
    }
}
