package org.vestibule.clientapi;

import org.vestibule.error.MatrixException;

/**
 * A place in a room's history for /messages and /context, between two events. Pages are ordered
 * topologically, by (depth, stream ordering) as Synapse does, since backfilled history has no
 * place in the stream: it sits below stream ordering zero (migration V30).
 *
 * <ul>
 *   <li>{@link Stream} {@code s<n>}: the tokens of /sync ({@code next_batch}, {@code prev_batch}),
 *       which /messages takes as they are: the events at stream positions up to {@code n} lie
 *       before it, backfilled history included.</li>
 *   <li>{@link Topological} {@code t<depth>-<stream>} (Synapse's form): just after the event at
 *       (depth, stream); the events with a smaller (depth, stream) lie before it.</li>
 * </ul>
 */
sealed interface PageToken {

    /** A stream position, as /sync gives out. */
    record Stream(StreamToken token) implements PageToken {
        @Override
        public String toString() {
            return token.toString();
        }
    }

    /** Just after the event at (depth, stream) in topological order. */
    record Topological(long depth, long stream) implements PageToken {
        @Override
        public String toString() {
            return "t" + depth + "-" + stream;
        }
    }

    /** The place just after an event: going back from it starts with the event before. */
    static Topological after(long depth, long stream) {
        return new Topological(depth, stream);
    }

    /** The place just before an event: going back from it starts with that event's predecessor. */
    static Topological before(long depth, long stream) {
        return new Topological(depth, stream - 1);
    }

    /** Parses a token we issued; 400 M_INVALID_PARAM naming the parameter for anything else. */
    static PageToken parse(String parameter, String token) {
        if (token.startsWith("s")) {
            return new Stream(StreamToken.parse(parameter, token));
        }
        if (token.length() < 4 || token.length() > 42 || token.charAt(0) != 't') {
            throw invalid(parameter, token);
        }
        int dash = token.indexOf('-', 1);
        if (dash < 2 || dash == token.length() - 1) {
            throw invalid(parameter, token);
        }
        String depth = token.substring(1, dash);
        String stream = token.substring(dash + 1);
        if (!digits(depth) || !(digits(stream) || (stream.startsWith("-") && digits(stream.substring(1))))) {
            throw invalid(parameter, token);
        }
        try {
            return new Topological(Long.parseLong(depth), Long.parseLong(stream));
        } catch (NumberFormatException e) {
            throw invalid(parameter, token);
        }
    }

    private static boolean digits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static MatrixException invalid(String parameter, String token) {
        return MatrixException.invalidParam("'" + parameter + "' is not a token this server issued: '" + token + "'");
    }
}
