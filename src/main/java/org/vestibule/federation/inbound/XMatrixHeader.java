package org.vestibule.federation.inbound;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.vestibule.event.Identifiers;

/**
 * Parses {@code Authorization: X-Matrix …} (spec server-server §Request Authentication, RFC 9110
 * §11.4): case-insensitive names in any order, optional spaces and tabs around commas and equals
 * signs, token or quoted values with backslash escapes, colons allowed unquoted, unknown names
 * ignored. A parameter given twice is refused: two readers could pick different ones.
 */
final class XMatrixHeader {

    /** What an X-Matrix header claims; {@code destination} is null when the sender left it out. */
    record Credentials(String origin, String destination, String keyId, String signature) {}

    /** The header is not a well-formed X-Matrix authorization; the message says why. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    private static final String SCHEME = "X-Matrix";

    private XMatrixHeader() {}

    /** Whether an Authorization header value uses the X-Matrix scheme at all. */
    static boolean isXMatrix(String value) {
        String v = value.stripLeading();
        return v.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                && (v.length() == SCHEME.length() || isWhitespace(v.charAt(SCHEME.length())));
    }

    static Credentials parse(String value) throws MalformedException {
        String v = value.strip();
        if (!isXMatrix(v)) {
            throw new MalformedException("the scheme is not X-Matrix");
        }
        Map<String, String> params = new HashMap<>();
        int n = v.length();
        int i = SCHEME.length();
        while (true) {
            i = skipWhitespace(v, i);
            if (i >= n) {
                break;
            }
            if (v.charAt(i) == ',') {
                i++; // an empty list element (RFC 9110 §5.6.1)
                continue;
            }
            int start = i;
            while (i < n && isTokenChar(v.charAt(i))) {
                i++;
            }
            if (start == i) {
                throw new MalformedException("expected a parameter name at character " + (i + 1));
            }
            String name = v.substring(start, i).toLowerCase(Locale.ROOT);
            i = skipWhitespace(v, i);
            if (i >= n || v.charAt(i) != '=') {
                throw new MalformedException("parameter '" + name + "' has no '=' and value");
            }
            i = skipWhitespace(v, i + 1);
            StringBuilder parsed = new StringBuilder();
            if (i < n && v.charAt(i) == '"') {
                i = quoted(v, i + 1, name, parsed);
            } else {
                start = i;
                while (i < n && isBareValueChar(v.charAt(i))) {
                    i++;
                }
                if (start == i) {
                    throw new MalformedException("parameter '" + name + "' has an empty or invalid value");
                }
                parsed.append(v, start, i);
            }
            if (params.put(name, parsed.toString()) != null) {
                throw new MalformedException("parameter '" + name + "' appears more than once");
            }
            i = skipWhitespace(v, i);
            if (i < n) {
                if (v.charAt(i) != ',') {
                    throw new MalformedException("expected ',' after parameter '" + name + "'");
                }
                i++;
            }
        }
        String origin = required(params, "origin");
        String keyId = required(params, "key");
        // The spec's prose calls it "signature"; its example and every server use "sig".
        String signature = params.containsKey("sig") ? params.get("sig") : params.get("signature");
        if (signature == null || signature.isEmpty()) {
            throw new MalformedException("parameter 'sig' is missing");
        }
        String destination = params.get("destination");
        if (!Identifiers.isServerName(origin)) {
            throw new MalformedException("origin '" + origin + "' is not a valid server name");
        }
        return new Credentials(origin, destination, keyId, signature);
    }

    private static int quoted(String v, int i, String name, StringBuilder out) throws MalformedException {
        int n = v.length();
        while (i < n) {
            char c = v.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\') {
                if (i + 1 >= n) {
                    break;
                }
                c = v.charAt(++i);
            }
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw new MalformedException("parameter '" + name + "' contains a control character");
            }
            out.append(c);
            i++;
        }
        throw new MalformedException("parameter '" + name + "' has an unterminated quoted value");
    }

    private static String required(Map<String, String> params, String name) throws MalformedException {
        String value = params.get(name);
        if (value == null || value.isEmpty()) {
            throw new MalformedException("parameter '" + name + "' is missing");
        }
        return value;
    }

    private static int skipWhitespace(String v, int i) {
        while (i < v.length() && isWhitespace(v.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    // RFC 9110 §5.6.2 tchar.
    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    // Tokens, plus the colons (spec) and base64 '/' and '=' that older senders leave unquoted.
    private static boolean isBareValueChar(char c) {
        return c > 0x20 && c < 0x7F && c != ',' && c != '"' && c != '\\';
    }
}
