package org.vestibule.auth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;

/**
 * Builds rooms of events for auth and state resolution tests. Events carry a placeholder
 * signature for every server that should have signed them (the rules only look at which servers
 * signed) and a placeholder content hash. Forks share one event store and one clock.
 */
final class TestRoom {

    static final String ALICE = "@alice:a.example";
    static final String BOB = "@bob:b.example";
    static final String CAROL = "@carol:c.example";
    static final String DAVE = "@dave:d.example";
    static final String EVE = "@eve:e.example";

    /** What forks of one room share. */
    private static final class Shared {
        final Map<String, Pdu> events = new LinkedHashMap<>();
        final Set<String> rejected = new LinkedHashSet<>();
        long clock = 1_000;
        int counter;
    }

    final RoomVersion version;
    private final Shared shared;
    private String roomId;
    private final Map<StateKey, Pdu> state;
    private Pdu last;

    private TestRoom(RoomVersion version, Shared shared, String roomId, Map<StateKey, Pdu> state, Pdu last) {
        this.version = version;
        this.shared = shared;
        this.roomId = roomId;
        this.state = state;
        this.last = last;
    }

    /** An empty room: nothing sent yet, room ID !room:a.example (v12: set by the create event). */
    static TestRoom empty(RoomVersion version) {
        return new TestRoom(version, new Shared(), version.roomIdIsCreateEventHash() ? null : "!room:a.example",
                new HashMap<>(), null);
    }

    /** An empty room with the given room ID (before v12). */
    static TestRoom empty(RoomVersion version, String roomId) {
        return new TestRoom(version, new Shared(), roomId, new HashMap<>(), null);
    }

    /** A room with only a create event by the creator. */
    static TestRoom created(RoomVersion version, String creator) {
        TestRoom room = empty(version);
        room.createEvent(creator).add();
        return room;
    }

    /**
     * Alice's room: create, Alice's join, power levels (Alice 100 before v12, where she is creator
     * anyway), join rules with the given rule.
     */
    static TestRoom standard(RoomVersion version, String joinRule) {
        TestRoom room = created(version, ALICE);
        room.member(ALICE, ALICE, "join").add();
        room.powerLevels(version.roomIdIsCreateEventHash() ? Map.of() : Map.of(ALICE, 100L)).add();
        room.joinRules(joinRule).add();
        return room;
    }

    /** A fork: the same events so far, then its own. */
    TestRoom fork() {
        return new TestRoom(version, shared, roomId, new HashMap<>(state), last);
    }

    String roomId() {
        return roomId;
    }

    Builder event(String type) {
        return new Builder(type);
    }

    Builder createEvent(String creator) {
        Builder b = event("m.room.create").stateKey("").sender(creator).prevNone();
        if (!version.creatorIsSender()) {
            b.content("creator", creator);
        }
        b.content("room_version", version.id());
        return b;
    }

    Builder member(String sender, String target, String membership) {
        return event("m.room.member").sender(sender).stateKey(target).content("membership", membership);
    }

    Builder join(String user) {
        return member(user, user, "join");
    }

    Builder powerLevels(Map<String, Long> users, Object... more) {
        Builder b = event("m.room.power_levels").stateKey("").content("users", new LinkedHashMap<>(users));
        b.content(more);
        return b;
    }

    Builder joinRules(String rule) {
        return event("m.room.join_rules").stateKey("").content("join_rule", rule);
    }

    /** Applies an event to this fork: it enters the store, the state (if state) and becomes the tip. */
    Pdu apply(Pdu pdu) {
        shared.events.put(pdu.eventId(), pdu);
        if (pdu.isState()) {
            state.put(StateKey.of(pdu), pdu);
        }
        last = pdu;
        return pdu;
    }

    /** Stores an event without changing this fork's state or tip. */
    Pdu store(Pdu pdu) {
        shared.events.put(pdu.eventId(), pdu);
        return pdu;
    }

    void markRejected(Pdu pdu) {
        shared.rejected.add(pdu.eventId());
    }

    Map<StateKey, Pdu> state() {
        return new HashMap<>(state);
    }

    /** The state as event IDs, as state resolution takes it. */
    Map<StateKey, String> stateIds() {
        Map<StateKey, String> ids = new HashMap<>();
        state.forEach((k, v) -> ids.put(k, v.eventId()));
        return ids;
    }

    Pdu get(StateKey key) {
        return state.get(key);
    }

    Pdu last() {
        return last;
    }

    EventLookup lookup() {
        return new EventLookup() {
            @Override
            public Pdu get(String eventId) {
                return shared.events.get(eventId);
            }

            @Override
            public boolean isRejected(String eventId) {
                return shared.rejected.contains(eventId);
            }
        };
    }

    /** One event under construction. */
    final class Builder {
        private final String type;
        private String stateKey;
        private String sender = ALICE;
        private final Map<String, Object> content = new LinkedHashMap<>();
        private List<String> prev;
        private List<String> auth;
        private Long ts;
        private Long depth;
        private final Set<String> extraSigners = new LinkedHashSet<>();
        private final Set<String> droppedSigners = new LinkedHashSet<>();
        private final Map<String, Object> top = new LinkedHashMap<>();
        private final Set<String> removedTop = new LinkedHashSet<>();

        private Builder(String type) {
            this.type = type;
        }

        Builder stateKey(String key) {
            this.stateKey = key;
            return this;
        }

        Builder sender(String user) {
            this.sender = user;
            return this;
        }

        /** Adds content entries from alternating keys and values. */
        Builder content(Object... keysAndValues) {
            for (int i = 0; i < keysAndValues.length; i += 2) {
                content.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
            return this;
        }

        Builder withoutContent(String key) {
            content.remove(key);
            return this;
        }

        Builder prev(Pdu... events) {
            this.prev = Arrays.stream(events).map(Pdu::eventId).toList();
            return this;
        }

        Builder prevNone() {
            this.prev = List.of();
            return this;
        }

        /** Explicit auth events, instead of the selection from this fork's state. */
        Builder auth(Pdu... events) {
            this.auth = Arrays.stream(events).map(Pdu::eventId).toList();
            return this;
        }

        Builder ts(long originServerTs) {
            this.ts = originServerTs;
            return this;
        }

        Builder depth(long d) {
            this.depth = d;
            return this;
        }

        Builder signedBy(String... servers) {
            extraSigners.addAll(List.of(servers));
            return this;
        }

        Builder notSignedBy(String... servers) {
            droppedSigners.addAll(List.of(servers));
            return this;
        }

        /** Sets a top-level key, such as redacts. */
        Builder top(String key, Object value) {
            top.put(key, value);
            return this;
        }

        Builder withoutTop(String key) {
            removedTop.add(key);
            return this;
        }

        Pdu build() {
            boolean isCreate = type.equals("m.room.create") && "".equals(stateKey);
            List<String> prevIds = prev != null ? prev : last == null ? List.of() : List.of(last.eventId());
            List<String> authIds = auth;
            if (authIds == null) {
                authIds = new ArrayList<>();
                if (!isCreate) {
                    for (StateKey key : AuthEventSelection.select(version, type, stateKey, sender, content)) {
                        Pdu pdu = state.get(key);
                        if (pdu != null) {
                            authIds.add(pdu.eventId());
                        }
                    }
                }
            }
            long d = depth != null ? depth : 1 + prevIds.stream().map(shared.events::get)
                    .mapToLong(p -> p == null ? 0 : p.depth()).max().orElse(0);
            long t = ts != null ? ts : ++shared.clock;
            int n = ++shared.counter;

            Map<String, Object> json = new LinkedHashMap<>();
            json.put("type", type);
            if (!(isCreate && version.roomIdIsCreateEventHash())) {
                json.put("room_id", roomId);
            }
            json.put("sender", sender);
            if (stateKey != null) {
                json.put("state_key", stateKey);
            }
            json.put("content", Json.mutableCopy(content));
            json.put("origin_server_ts", t);
            json.put("depth", d);
            json.put("prev_events", refs(prevIds));
            json.put("auth_events", refs(authIds));
            json.put("hashes", Map.of("sha256", "aGFzaA"));
            Set<String> signers = new LinkedHashSet<>();
            signers.add(Identifiers.serverOf(sender).orElseThrow());
            if (version.hasExplicitEventIds()) {
                String eventId = "$e" + n + ":" + Identifiers.serverOf(sender).orElseThrow();
                json.put("event_id", eventId);
            }
            signers.addAll(extraSigners);
            signers.removeAll(droppedSigners);
            Map<String, Object> signatures = new LinkedHashMap<>();
            for (String server : signers) {
                signatures.put(server, Map.of("ed25519:1", "c2lnbmF0dXJl"));
            }
            json.put("signatures", signatures);
            json.putAll(top);
            removedTop.forEach(json::remove);
            Pdu pdu = Pdu.fromJson(json, version);
            if (isCreate && version.roomIdIsCreateEventHash() && roomId == null) {
                roomId = "!" + pdu.eventId().substring(1);
            }
            return pdu;
        }

        /** Builds the event and applies it to this fork. */
        Pdu add() {
            return apply(build());
        }

        private List<Object> refs(List<String> ids) {
            List<Object> out = new ArrayList<>();
            for (String id : ids) {
                out.add(version.hasExplicitEventIds() ? List.of(id, Map.of("sha256", "aGFzaA")) : id);
            }
            return out;
        }
    }
}
