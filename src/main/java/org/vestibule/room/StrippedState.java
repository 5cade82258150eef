package org.vestibule.room;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.vestibule.auth.StateKey;
import org.vestibule.event.EventFormatException;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.EventSignatureVerifier;

/**
 * The state that describes a room to someone invited or knocking (spec client-server §Stripped
 * state; server-server {@code invite_room_state}, {@code knock_room_state}). Since v1.16 servers
 * send these as whole PDUs of the room's version, and must strip them before clients see them.
 */
@Component
public class StrippedState {

    private static final Logger log = LoggerFactory.getLogger(StrippedState.class);

    /** The spec's list: create, name, avatar, topic, join rules, canonical alias, encryption. */
    public static final List<StateKey> KEYS = List.of(StateKey.CREATE, StateKey.NAME, new StateKey("m.room.avatar", ""),
            StateKey.TOPIC, StateKey.JOIN_RULES, StateKey.CANONICAL_ALIAS, new StateKey("m.room.encryption", ""));

    private final EventGraph graph;
    private final EventSignatureVerifier signatures;

    StrippedState(EventGraph graph, EventSignatureVerifier signatures) {
        this.graph = graph;
        this.signatures = signatures;
    }

    /**
     * The room's describing events as PDUs, plus the current member event of {@code member} when
     * given (Synapse adds the inviter's, so clients can say who invited).
     */
    public List<Map<String, Object>> pdus(RoomState state, String member) {
        List<StateKey> keys = new ArrayList<>(KEYS);
        if (member != null) {
            keys.add(StateKey.member(member));
        }
        Map<StateKey, Pdu> events = graph.stateEvents(state, keys);
        List<Map<String, Object>> out = new ArrayList<>();
        for (StateKey k : keys) {
            Pdu p = events.get(k);
            if (p != null) {
                out.add(p.json());
            }
        }
        return out;
    }

    /** An event as a stripped state event: sender, type, state_key and content only. */
    public static Map<String, Object> strip(Map<String, ?> event) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : List.of("content", "sender", "state_key", "type")) {
            if (event.containsKey(key)) {
                out.put(key, event.get(key));
            }
        }
        return out;
    }

    /** Whether room state from other servers must be valid PDUs throughout (spec: SHOULD from v12, MAY before). */
    public static boolean strict(RoomVersion version) {
        return version.roomIdIsCreateEventHash();
    }

    /**
     * Checks the room state another server sent with an invite or a knock answer, and returns it
     * stripped. Entries that are PDUs must be of this room and validly signed. In strict room
     * versions every entry must be such a PDU and the create event must be there, else
     * {@link IllegalArgumentException} says what is wrong; in older ones bad PDUs are dropped and
     * plain stripped events (what servers sent before v1.16) are kept.
     */
    public List<Map<String, Object>> check(RoomVersion version, String roomId, List<Object> entries) {
        boolean strict = strict(version);
        List<Map<String, Object>> out = new ArrayList<>();
        boolean create = false;
        for (Object o : entries) {
            if (!(o instanceof Map<?, ?> raw)) {
                reject(strict, "an entry is not an object");
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> entry = (Map<String, Object>) raw;
            String problem = null;
            Pdu pdu = null;
            try {
                pdu = Pdu.fromJson(entry, version);
            } catch (EventFormatException | IllegalArgumentException | ClassCastException e) {
                problem = "an entry is not a room version " + version.id() + " event: " + e.getMessage();
            }
            if (pdu != null) {
                if (!roomId.equals(pdu.roomId())) {
                    problem = "event " + pdu.eventId() + " is of room " + pdu.roomId() + ", not " + roomId;
                } else if (!pdu.isState()) {
                    problem = "event " + pdu.eventId() + " is not a state event";
                } else if (signatures.verify(pdu) instanceof EventSignatureVerifier.Result.Invalid invalid) {
                    problem = "event " + pdu.eventId() + " is not validly signed: " + invalid.reason();
                }
            }
            if (problem == null) {
                create |= pdu.isStateOf("m.room.create", "");
                out.add(strip(pdu.json()));
            } else if (strict) {
                throw new IllegalArgumentException(problem);
            } else if (pdu == null && isStrippedEvent(entry)) {
                create |= "m.room.create".equals(entry.get("type")) && "".equals(entry.get("state_key"));
                out.add(strip(entry));
            } else {
                log.warn("Dropping room state from another server: {}", problem);
            }
        }
        if (strict && !create) {
            throw new IllegalArgumentException("the room's m.room.create event is missing");
        }
        return out;
    }

    private static void reject(boolean strict, String problem) {
        if (strict) {
            throw new IllegalArgumentException(problem);
        }
        log.warn("Dropping room state from another server: {}", problem);
    }

    private static boolean isStrippedEvent(Map<String, Object> e) {
        return e.get("type") instanceof String && e.get("state_key") instanceof String && e.get("sender") instanceof String
                && e.get("content") instanceof Map<?, ?>;
    }
}
