package org.vestibule.event;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable persistent data unit: one room event in its room version's federation format,
 * checked on construction (spec server-server §PDUs, rooms §Event format, §Size limits).
 *
 * <p>{@link #json()} is the event as peers exchange it, without {@code unsigned} (and, from
 * v3 on, without {@code event_id}, which is computed).
 */
public final class Pdu {

    /** The whole event, as canonical JSON, must not exceed this (spec §Size limits). */
    public static final int MAX_EVENT_BYTES = 65_536;
    /** Synapse drops events with more prev_events or auth_events than these; so do we. */
    public static final int MAX_PREV_EVENTS = 20;
    public static final int MAX_AUTH_EVENTS = 10;

    private final RoomVersion roomVersion;
    private final Map<String, Object> json;
    private final String eventId;
    private final String roomId;
    private final String sender;
    private final String type;
    private final String stateKey;
    private final Map<String, Object> content;
    private final List<String> prevEvents;
    private final List<String> authEvents;
    private final long depth;
    private final long originServerTs;
    private volatile byte[] canonical;

    private Pdu(RoomVersion roomVersion, Map<String, Object> json, String eventId) {
        this.roomVersion = roomVersion;
        this.json = json;
        this.eventId = eventId;
        this.roomId = (String) json.get("room_id");
        this.sender = (String) json.get("sender");
        this.type = (String) json.get("type");
        this.stateKey = (String) json.get("state_key");
        this.content = Json.object(json, "content");
        this.prevEvents = eventRefs(json, "prev_events", roomVersion);
        this.authEvents = eventRefs(json, "auth_events", roomVersion);
        this.depth = (Long) json.get("depth");
        this.originServerTs = (Long) json.get("origin_server_ts");
    }

    /** Parses and checks a PDU received as bytes. */
    public static Pdu parse(byte[] bytes, RoomVersion version) {
        Map<String, Object> json;
        try {
            json = StrictJsonParser.parseObject(bytes, new StrictJsonParser.Limits(MAX_EVENT_BYTES * 2, 64));
        } catch (MalformedJsonException e) {
            throw new EventFormatException("the event is not valid JSON: " + e.getMessage());
        }
        return fromJson(json, version);
    }

    /** Checks a PDU given as the JSON model and computes its event ID. */
    public static Pdu fromJson(Map<String, ?> raw, RoomVersion version) {
        return fromJson(raw, version, true);
    }

    /**
     * {@link #fromJson(Map, RoomVersion)} for history a peer backfills us with: the counts of
     * prev_events and auth_events are not limited, since events accepted before those limits
     * existed may exceed them (spec server-server, GET /backfill: "MUST NOT be validated on these").
     */
    public static Pdu fromHistory(Map<String, ?> raw, RoomVersion version) {
        return fromJson(raw, version, false);
    }

    private static Pdu fromJson(Map<String, ?> raw, RoomVersion version, boolean limitReferences) {
        LinkedHashMap<String, Object> copy = new LinkedHashMap<>(raw);
        copy.remove("unsigned");
        if (!version.hasExplicitEventIds()) {
            // From v3 the ID is computed; a carried event_id was added after signing, so it can't count.
            copy.remove("event_id");
        }
        Map<String, Object> json = Json.frozenCopy(copy);
        checkFormat(json, version, limitReferences);
        String eventId = EventIds.compute(json, version);
        Pdu pdu = new Pdu(version, json, eventId);
        int size = pdu.canonicalBytes().length;
        if (size > MAX_EVENT_BYTES) {
            throw new EventFormatException("the event is " + size + " bytes as canonical JSON, over the limit of "
                    + MAX_EVENT_BYTES);
        }
        return pdu;
    }

    /**
     * An unsigned template as a PDU, only to run the auth rules on it (make_join's check): format
     * checked, but no event ID is computed and the size is not measured.
     */
    public static Pdu templateForAuthCheck(Map<String, ?> template, RoomVersion version) {
        Map<String, Object> json = Json.frozenCopy(template);
        checkFormat(json, version, true);
        return new Pdu(version, json, version.hasExplicitEventIds() ? (String) json.get("event_id") : "$template");
    }

    /** Rebuilds a PDU read back from our own storage, whose ID and format were checked on the way in. */
    public static Pdu fromStorage(byte[] canonicalJson, RoomVersion version, String eventId) {
        Map<String, Object> json = StrictJsonParser.parseObject(canonicalJson,
                new StrictJsonParser.Limits(Integer.MAX_VALUE, 256));
        Pdu pdu = new Pdu(version, json, eventId);
        pdu.canonical = canonicalJson;
        return pdu;
    }

    private static void checkFormat(Map<String, Object> json, RoomVersion version, boolean limitReferences) {
        String type = requireString(json, "type");
        requireMaxBytes(type, "type");
        String sender = requireString(json, "sender");
        requireMaxBytes(sender, "sender");
        if (!Identifiers.isUserId(sender)) {
            throw new EventFormatException("sender is not a valid user ID: " + sender);
        }
        boolean v12Create = version.roomIdIsCreateEventHash() && "m.room.create".equals(type)
                && "".equals(json.get("state_key"));
        if (v12Create) {
            if (json.containsKey("room_id")) {
                throw new EventFormatException("a room version " + version.id() + " create event must not have a room_id");
            }
        } else {
            String roomId = requireString(json, "room_id");
            if (!Identifiers.isRoomId(roomId, version)) {
                throw new EventFormatException("room_id is not a valid room ID for room version " + version.id()
                        + ": " + roomId);
            }
        }
        if (json.containsKey("state_key")) {
            requireMaxBytes(requireString(json, "state_key"), "state_key");
        }
        if (!(json.get("content") instanceof Map<?, ?>)) {
            throw new EventFormatException("content must be an object");
        }
        long depth = requireInteger(json, "depth");
        if (depth < 0) {
            throw new EventFormatException("depth must not be negative");
        }
        requireInteger(json, "origin_server_ts");
        if (!(json.get("hashes") instanceof Map<?, ?> hashes) || !(hashes.get("sha256") instanceof String)) {
            throw new EventFormatException("hashes.sha256 must be a string");
        }
        if (!(json.get("signatures") instanceof Map<?, ?> signatures)) {
            throw new EventFormatException("signatures must be an object");
        }
        for (Map.Entry<?, ?> e : signatures.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> byKey)) {
                throw new EventFormatException("signatures." + e.getKey() + " must be an object");
            }
            for (Object sig : byKey.values()) {
                if (!(sig instanceof String)) {
                    throw new EventFormatException("signatures." + e.getKey() + " must map key IDs to strings");
                }
            }
        }
        if (version.hasExplicitEventIds()) {
            String eventId = requireString(json, "event_id");
            if (!Identifiers.isEventId(eventId, version)) {
                throw new EventFormatException("event_id is not a valid event ID: " + eventId);
            }
        }
        checkRefs(json, "prev_events", version, limitReferences ? MAX_PREV_EVENTS : Integer.MAX_VALUE);
        checkRefs(json, "auth_events", version, limitReferences ? MAX_AUTH_EVENTS : Integer.MAX_VALUE);
        if (version.redactsInContent() && "m.room.redaction".equals(type)) {
            Object redacts = ((Map<?, ?>) json.get("content")).get("redacts");
            if (redacts != null && !(redacts instanceof String)) {
                throw new EventFormatException("content.redacts must be an event ID");
            }
        } else if ("m.room.redaction".equals(type) && json.containsKey("redacts")
                && !(json.get("redacts") instanceof String)) {
            throw new EventFormatException("redacts must be an event ID");
        }
    }

    private static void checkRefs(Map<String, Object> json, String key, RoomVersion version, int max) {
        if (!(json.get(key) instanceof List<?> refs)) {
            throw new EventFormatException(key + " must be an array");
        }
        if (refs.size() > max) {
            throw new EventFormatException(key + " lists " + refs.size() + " events, more than " + max);
        }
        for (Object ref : refs) {
            String id;
            if (version.hasExplicitEventIds()) {
                if (!(ref instanceof List<?> pair) || pair.size() != 2 || !(pair.get(0) instanceof String s)
                        || !(pair.get(1) instanceof Map<?, ?>)) {
                    throw new EventFormatException(key + " entries must be [event_id, hashes] pairs in room version "
                            + version.id());
                }
                id = s;
            } else {
                if (!(ref instanceof String s)) {
                    throw new EventFormatException(key + " entries must be event ID strings in room version "
                            + version.id());
                }
                id = s;
            }
            if (!Identifiers.isEventId(id, version)) {
                throw new EventFormatException(key + " holds an invalid event ID: " + id);
            }
        }
    }

    private static List<String> eventRefs(Map<String, Object> json, String key, RoomVersion version) {
        List<Object> refs = Json.list(json, key);
        ArrayList<String> ids = new ArrayList<>(refs.size());
        for (Object ref : refs) {
            ids.add(version.hasExplicitEventIds() ? (String) ((List<?>) ref).get(0) : (String) ref);
        }
        return Collections.unmodifiableList(ids);
    }

    private static String requireString(Map<String, Object> json, String key) {
        if (!(json.get(key) instanceof String s)) {
            throw new EventFormatException(key + (json.containsKey(key) ? " must be a string" : " is missing"));
        }
        return s;
    }

    private static long requireInteger(Map<String, Object> json, String key) {
        if (!(json.get(key) instanceof Long l)) {
            throw new EventFormatException(key + (json.containsKey(key) ? " must be an integer" : " is missing"));
        }
        return l;
    }

    private static void requireMaxBytes(String value, String key) {
        if (Identifiers.byteLength(value) > Identifiers.MAX_ID_BYTES) {
            throw new EventFormatException(key + " is longer than " + Identifiers.MAX_ID_BYTES + " bytes");
        }
    }

    public RoomVersion roomVersion() {
        return roomVersion;
    }

    /** The event as exchanged over federation, without unsigned. */
    public Map<String, Object> json() {
        return json;
    }

    public String eventId() {
        return eventId;
    }

    /**
     * The room ID. For a room version 12 create event, which carries none, it is derived from the
     * event's own ID.
     */
    public String roomId() {
        if (roomId == null && roomVersion.roomIdIsCreateEventHash()) {
            return "!" + eventId.substring(1);
        }
        return roomId;
    }

    public String sender() {
        return sender;
    }

    public String senderServer() {
        return Identifiers.serverOf(sender).orElseThrow();
    }

    public String type() {
        return type;
    }

    /** The state key, or null for a message event. */
    public String stateKey() {
        return stateKey;
    }

    public boolean isState() {
        return stateKey != null;
    }

    public boolean isStateOf(String eventType, String key) {
        return type.equals(eventType) && key.equals(stateKey);
    }

    public Map<String, Object> content() {
        return content;
    }

    public Optional<String> contentString(String key) {
        return Json.string(content, key);
    }

    /** For m.room.member events, the membership; otherwise empty. */
    public Optional<String> membership() {
        return "m.room.member".equals(type) ? contentString("membership") : Optional.empty();
    }

    public List<String> prevEvents() {
        return prevEvents;
    }

    public List<String> authEvents() {
        return authEvents;
    }

    public long depth() {
        return depth;
    }

    public long originServerTs() {
        return originServerTs;
    }

    /** The event a redaction redacts, from content (v11+) or the top level. */
    public Optional<String> redacts() {
        if (!"m.room.redaction".equals(type)) {
            return Optional.empty();
        }
        return roomVersion.redactsInContent() ? contentString("redacts") : Json.string(json, "redacts");
    }

    /** The event as canonical JSON bytes, which is how we store it. */
    public byte[] canonicalBytes() {
        byte[] bytes = canonical;
        if (bytes == null) {
            bytes = CanonicalJson.encode(json);
            canonical = bytes;
        }
        return bytes;
    }

    /** The event with its ID, for clients and for v1/v2-style listings. */
    public Map<String, Object> jsonWithEventId() {
        if (json.containsKey("event_id")) {
            return json;
        }
        LinkedHashMap<String, Object> copy = new LinkedHashMap<>(json);
        copy.put("event_id", eventId);
        return copy;
    }

    /** Whether the event carries a content hash that matches. */
    public boolean contentHashMatches() {
        return EventHashes.contentHashMatches(json);
    }

    /** The redacted form of this event. */
    public Pdu redacted() {
        Map<String, Object> redacted = Redaction.redact(json, roomVersion);
        return new Pdu(roomVersion, Json.frozenCopy(redacted), eventId);
    }

    /** A copy with one more signature; the event ID stays the same since IDs ignore signatures. */
    public Pdu withSignature(String entity, String keyId, String signature) {
        Map<String, Object> copy = Json.mutableCopy(json);
        JsonSigning.addSignature(copy, entity, keyId, signature);
        return new Pdu(roomVersion, Json.frozenCopy(copy), eventId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Pdu other && eventId.equals(other.eventId);
    }

    @Override
    public int hashCode() {
        return eventId.hashCode();
    }

    @Override
    public String toString() {
        return "Pdu[" + eventId + " " + type + (stateKey == null ? "" : " [" + stateKey + "]") + " by " + sender + "]";
    }
}
