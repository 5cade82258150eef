package org.vestibule.event;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/** Grammar checks for Matrix identifiers (spec appendices §Identifier Grammar). */
public final class Identifiers {

    /** Identifiers other than server names are at most 255 bytes. */
    public static final int MAX_ID_BYTES = 255;

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]{2,45}]");
    private static final Pattern DNS_NAME = Pattern.compile("[A-Za-z0-9.-]{1,255}");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");
    // Historical user ID localparts: any printable ASCII but ':' (spec §Historical User IDs).
    private static final Pattern HISTORICAL_LOCALPART = Pattern.compile("[\\x21-\\x39\\x3B-\\x7E]+");
    private static final Pattern LOCALPART = Pattern.compile("[a-z0-9._=\\-/+]+");
    private static final Pattern HASH_ROOM_ID = Pattern.compile("![A-Za-z0-9_-]{43}");
    private static final Pattern STANDARD_EVENT_ID = Pattern.compile("\\$[A-Za-z0-9+/]{43}");
    private static final Pattern URL_SAFE_EVENT_ID = Pattern.compile("\\$[A-Za-z0-9_-]{43}");

    private Identifiers() {}

    /** server_name = hostname [":" port], hostname an IPv4, a bracketed IPv6 or a DNS name. */
    public static boolean isServerName(String name) {
        if (name == null || name.isEmpty() || name.length() > 255) {
            return false;
        }
        String host = name;
        int colon = name.lastIndexOf(':');
        int bracket = name.lastIndexOf(']');
        if (colon > bracket) {
            String port = name.substring(colon + 1);
            if (!PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
                return false;
            }
            host = name.substring(0, colon);
        }
        if (host.startsWith("[")) {
            return IPV6.matcher(host).matches();
        }
        return IPV4.matcher(host).matches() || DNS_NAME.matcher(host).matches();
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
        if (!HISTORICAL_LOCALPART.matcher(localpart).matches() || !isServerName(server)) {
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
            return HASH_ROOM_ID.matcher(id).matches();
        }
        return isRoomIdOfAnyVersion(id);
    }

    /** Whether a string has the form of a room ID of some version. */
    public static boolean isRoomIdOfAnyVersion(String id) {
        if (id == null || !id.startsWith("!") || byteLength(id) > MAX_ID_BYTES) {
            return false;
        }
        if (HASH_ROOM_ID.matcher(id).matches()) {
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
            case V3 -> STANDARD_EVENT_ID.matcher(id).matches();
            case V4 -> URL_SAFE_EVENT_ID.matcher(id).matches();
        };
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
