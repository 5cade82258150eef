package org.vestibule.clientapi;

import org.vestibule.error.MatrixException;

/**
 * A place in the event stream, between position {@code position} and the next: /sync's
 * {@code next_batch} and {@code prev_batch} and /messages' {@code start} and {@code end} are all
 * such tokens, written {@code s<position>}, so a client can hand any of them to the other.
 */
record StreamToken(long position) {

    static StreamToken at(long position) {
        return new StreamToken(Math.max(0, position));
    }

    /** Parses a token we issued; 400 M_INVALID_PARAM naming the parameter for anything else. */
    static StreamToken parse(String parameter, String token) {
        if (token.length() < 2 || token.length() > 20 || token.charAt(0) != 's') {
            throw invalid(parameter, token);
        }
        for (int i = 1; i < token.length(); i++) {
            if (token.charAt(i) < '0' || token.charAt(i) > '9') {
                throw invalid(parameter, token);
            }
        }
        try {
            return new StreamToken(Long.parseLong(token.substring(1)));
        } catch (NumberFormatException e) {
            throw invalid(parameter, token);
        }
    }

    private static MatrixException invalid(String parameter, String token) {
        return MatrixException.invalidParam("'" + parameter + "' is not a token this server issued: '" + token + "'");
    }

    @Override
    public String toString() {
        return "s" + position;
    }
}
