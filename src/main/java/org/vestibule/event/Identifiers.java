package org.vestibule.event;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/** Grammar checks for Matrix identifiers (spec appendices §Identifier Grammar). */
public final class Identifiers {

    /** Identifiers other than server names are at most 255 bytes. */
    public static final int MAX_ID_BYTES = 255;

    // Historical user ID localparts: any printable ASCII but ':' (spec §Historical User IDs).
    private static final Pattern LOCALPART = Pattern.compile("[a-z0-9._=\\-/+]+");

    private Identifiers() {}

    /**
     * server_name = hostname [":" port], hostname an IPv4, a bracketed IPv6 or a DNS name. Checked
     * by hand rather than by regex: it runs for every ID of every request.
     */
    public static boolean isServerName(String name) {
        int len = name == null ? 0 : name.length();
        if (len == 0 || len > 255) {
            return false;
        }
        int hostEnd = len;
        int colon = name.lastIndexOf(':');
        int bracket = name.lastIndexOf(']');
        if (colon > bracket) {
            int digits = len - colon - 1;
            if (digits < 1 || digits > 5) {
                return false;
            }
            int port = 0;
            for (int i = colon + 1; i < len; i++) {
                char c = name.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
                port = port * 10 + (c - '0');
            }
            if (port > 65535) {
                return false;
            }
            hostEnd = colon;
        }
        if (hostEnd == 0) {
            return false;
        }
        if (name.charAt(0) == '[') {
            if (name.charAt(hostEnd - 1) != ']' || hostEnd - 2 < 2 || hostEnd - 2 > 45) {
                return false;
            }
            for (int i = 1; i < hostEnd - 1; i++) {
                char c = name.charAt(i);
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) {
                    return false;
                }
            }
            return true;
        }
        // An IPv4 literal is also made of DNS-name characters, so one check covers both.
        for (int i = 0; i < hostEnd; i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Whether a user ID is valid, accepting historical localparts as remote servers may have them. */
    public static boolean isUserId(String id) {
        return parseUserId(id).isPresent();
    }

    /** Whether a localpart is valid for a new user of this server (lower case, spec's strict set). */
    public static boolean isNewLocalpart(String localpart) {
        return localpart != null && LOCALPART.matcher(localpart).matches();
    }

    /** The parts of a user ID, or empty if it is not one. */
    public static Optional<UserId> parseUserId(String id) {
        if (id == null || !id.startsWith("@") || byteLength(id) > MAX_ID_BYTES) {
            return Optional.empty();
        }
        int colon = id.indexOf(':');
        if (colon < 2) {
            return Optional.empty();
        }
        String localpart = id.substring(1, colon);
        String server = id.substring(colon + 1);
        if (!isHistoricalLocalpart(localpart) || !isServerName(server)) {
            return Optional.empty();
        }
        return Optional.of(new UserId(localpart, server));
    }

    /** Whether a room ID is valid for the room version: !opaque:server before v12, a hash in v12. */
    public static boolean isRoomId(String id, RoomVersion version) {
        if (id == null || !id.startsWith("!") || byteLength(id) > MAX_ID_BYTES) {
            return false;
        }
        if (version != null && version.roomIdIsCreateEventHash()) {
            return isHashId(id, '-', '_');
        }
        return isRoomIdOfAnyVersion(id);
    }

    /** Whether a string has the form of a room ID of some version. */
    public static boolean isRoomIdOfAnyVersion(String id) {
        if (id == null || !id.startsWith("!") || byteLength(id) > MAX_ID_BYTES) {
            return false;
        }
        if (isHashId(id, '-', '_')) {
            return true;
        }
        int colon = id.indexOf(':');
        return colon > 1 && isServerName(id.substring(colon + 1));
    }

    /** Whether an event ID has the form the room version uses. */
    public static boolean isEventId(String id, RoomVersion version) {
        if (id == null || !id.startsWith("$") || byteLength(id) > MAX_ID_BYTES) {
            return false;
        }
        return switch (version.eventFormat()) {
            case V1 -> {
                int colon = id.indexOf(':');
                yield colon > 1 && isServerName(id.substring(colon + 1));
            }
            case V3 -> isHashId(id, '+', '/');
            case V4 -> isHashId(id, '-', '_');
        };
    }

    /** Historical user ID localparts: any printable ASCII but ':' (spec §Historical User IDs). */
    private static boolean isHistoricalLocalpart(String localpart) {
        for (int i = 0; i < localpart.length(); i++) {
            char c = localpart.charAt(i);
            if (c < 0x21 || c > 0x7E || c == ':') {
                return false;
            }
        }
        return !localpart.isEmpty();
    }

    /** '$' or '!' and 43 unpadded base64 characters of the given alphabet. */
    private static boolean isHashId(String id, char c62, char c63) {
        if (id.length() != 44) {
            return false;
        }
        for (int i = 1; i < 44; i++) {
            char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == c62 || c == c63)) {
                return false;
            }
        }
        return true;
    }

    /** Whether a room alias is valid: #localpart:server. */
    public static boolean isRoomAlias(String alias) {
        if (alias == null || !alias.startsWith("#") || byteLength(alias) > MAX_ID_BYTES) {
            return false;
        }
        int colon = alias.indexOf(':');
        return colon > 1 && isServerName(alias.substring(colon + 1));
    }

    /** The server part of an ID of the form sigil + opaque + ':' + server, or empty. */
    public static Optional<String> serverOf(String id) {
        if (id == null) {
            return Optional.empty();
        }
        int colon = id.indexOf(':');
        if (colon < 1) {
            return Optional.empty();
        }
        String server = id.substring(colon + 1);
        return isServerName(server) ? Optional.of(server) : Optional.empty();
    }

    public static int byteLength(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
