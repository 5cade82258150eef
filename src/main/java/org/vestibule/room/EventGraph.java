package org.vestibule.room;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;
import org.vestibule.auth.EventLookup;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;

/** Reads of the event graph: events by ID (cached; events never change), state at events, auth chains. */
@Component
public class EventGraph {

    /** SQL: an event clients may see: in the graph, passed the auth rules, not soft-failed. */
    public static final String CLIENT_VISIBLE = "not outlier and rejection_reason is null and not soft_failed";


    private static final int CACHED_EVENTS = 50_000;
    private static final int CACHED_STATE_CHAINS = 256;

    private final Events events;
    private final EventRows rows;
    private final Rooms rooms;
    private final StateGroups stateGroups;
    private final ForwardExtremities extremities;
    private final Map<String, RoomVersion> roomVersions = new ConcurrentHashMap<>();
    private final Map<String, Boolean> rejection = new ConcurrentHashMap<>();
    // Events never change, so any copy is right; the cache is simply emptied when it grows too big,
    // which keeps reads lock-free (an LRU would put every thread on one lock).
    private final Map<String, Pdu> pduCache = new ConcurrentHashMap<>(4096);
    // Per room, the last state whose auth chain was asked for, and that chain.
    private final Map<String, StateChain> stateChains = new ConcurrentHashMap<>();

    private record StateChain(RoomState state, Set<String> chain) {}

    EventGraph(Events events, EventRows rows, Rooms rooms, StateGroups stateGroups, ForwardExtremities extremities) {
        this.rows = rows;
        this.extremities = extremities;
        this.events = events;
        this.rooms = rooms;
        this.stateGroups = stateGroups;
    }

    /** The version of a room we know, if we know it. */
    public Optional<RoomVersion> roomVersion(String roomId) {
        RoomVersion v = roomVersions.get(roomId);
        if (v != null) {
            return Optional.of(v);
        }
        Optional<RoomVersion> found = rooms.findById(roomId).flatMap(r -> RoomVersions.byId(r.roomVersion()));
        found.ifPresent(version -> roomVersions.put(roomId, version));
        return found;
    }

    void rememberRoomVersion(String roomId, RoomVersion version) {
        roomVersions.put(roomId, version);
    }

    /** A stored event. */
    public Optional<Pdu> event(String eventId) {
        Pdu cached = pduCache.get(eventId);
        if (cached != null) {
            return Optional.of(cached);
        }
        return events.findById(eventId).map(this::toPdu);
    }

    /** The stored events among these IDs, by ID. */
    public Map<String, Pdu> events(Collection<String> eventIds) {
        Map<String, Pdu> found = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (String id : eventIds) {
            Pdu p = pduCache.get(id);
            if (p != null) {
                found.put(id, p);
            } else {
                missing.add(id);
            }
        }
        if (!missing.isEmpty()) {
            for (EventRows.StoredJson r : rows.json(missing)) {
                found.put(r.eventId(), toPdu(r.eventId(), r.roomId(), r.json()));
            }
        }
        return found;
    }

    /** Of these events, those we have stored (outliers included). */
    public Set<String> known(Collection<String> eventIds) {
        return new HashSet<>(rows.knownIds(eventIds));
    }

    /** Of these events, those in the graph: stored with a state of their own, not as outliers. */
    public Set<String> inGraph(Collection<String> eventIds) {
        Set<String> out = new HashSet<>();
        for (EventPlacement p : rows.placements(eventIds)) {
            if (!p.outlier() && p.stateAfter() != null) {
                out.add(p.eventId());
            }
        }
        return out;
    }

    public Optional<EventRecord> record(String eventId) {
        return events.findById(eventId);
    }

    Pdu toPdu(EventRecord record) {
        return toPdu(record.eventId(), record.roomId(), record.json());
    }

    private Pdu toPdu(String eventId, String roomId, byte[] json) {
        RoomVersion version = roomVersion(roomId).orElseThrow(() ->
                new IllegalStateException("event " + eventId + " of unknown room " + roomId));
        Pdu pdu = Pdu.fromStorage(json, version, eventId);
        cache(pdu);
        return pdu;
    }

    void cache(Pdu pdu) {
        if (pduCache.size() >= CACHED_EVENTS) {
            pduCache.clear();
        }
        pduCache.put(pdu.eventId(), pdu);
    }

    /** The state before an event in the graph (not an outlier), or empty. */
    public Optional<RoomState> stateBefore(String eventId) {
        return events.findById(eventId).filter(r -> r.stateBefore() != null).map(r -> stateGroups.load(r.stateBefore()));
    }

    /** The state after an event in the graph (not an outlier), or empty. */
    public Optional<RoomState> stateAfter(String eventId) {
        return events.findById(eventId).filter(r -> r.stateAfter() != null).map(r -> stateGroups.load(r.stateAfter()));
    }

    /** The state events of a state map that we have, keyed by slot. */
    public Map<StateKey, Pdu> stateEvents(RoomState state, Collection<StateKey> keys) {
        Map<String, StateKey> wanted = new HashMap<>();
        for (StateKey k : keys) {
            String id = state.get(k);
            if (id != null) {
                wanted.put(id, k);
            }
        }
        Map<StateKey, Pdu> out = new HashMap<>();
        events(wanted.keySet()).forEach((id, pdu) -> out.put(wanted.get(id), pdu));
        return out;
    }

    /**
     * The auth chain of these events: every event reachable through auth_events, not including
     * the starting events themselves. Unknown events are skipped.
     */
    public Set<String> authChain(Collection<String> eventIds) {
        Set<String> seen = new HashSet<>();
        Set<String> chain = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        for (Pdu p : events(eventIds).values()) {
            queueUnseen(p, seen, todo);
        }
        while (!todo.isEmpty()) {
            List<String> batch = new ArrayList<>(Math.min(todo.size(), 500));
            while (!todo.isEmpty() && batch.size() < 500) {
                batch.add(todo.poll());
            }
            for (Pdu p : events(batch).values()) {
                chain.add(p.eventId());
                queueUnseen(p, seen, todo);
            }
        }
        return chain;
    }

    /** Each auth event once: a room's members all name the same few (create, power levels, join rules). */
    private static void queueUnseen(Pdu event, Set<String> seen, Deque<String> todo) {
        for (String id : event.authEvents()) {
            if (seen.add(id)) {
                todo.add(id);
            }
        }
    }

    /**
     * The auth chain of a room's whole state (as {@link #authChain} of its event IDs), extended from
     * the one last worked out for the room when the state has only gained slots since: as members
     * join, a send_join answer walks the new member events instead of every member's auth events
     * again. The chain of a union is the union of the chains, so the result is the same.
     */
    public Set<String> stateAuthChain(String roomId, RoomState state) {
        StateChain last = stateChains.get(roomId);
        if (last != null && last.state() == state) {
            return last.chain();
        }
        Map<StateKey, String> added = last == null ? null : addedSlots(state, last.state());
        if (added != null && added.isEmpty()) {
            return last.chain(); // another copy of the same state
        }
        Set<String> chain;
        if (added == null) {
            List<String> ids = new ArrayList<>(state.size());
            state.forEach((key, id) -> ids.add(id));
            chain = authChain(ids);
        } else {
            chain = new LinkedHashSet<>(last.chain());
            chain.addAll(authChain(added.values()));
        }
        Set<String> result = Collections.unmodifiableSet(chain);
        if (stateChains.size() >= CACHED_STATE_CHAINS) {
            stateChains.clear();
        }
        stateChains.put(roomId, new StateChain(state, result));
        return result;
    }

    /** The slots {@code now} has that {@code earlier} lacked, or null when any slot changed or went. */
    private static Map<StateKey, String> addedSlots(RoomState now, RoomState earlier) {
        Map<StateKey, String> diff = now.diffFrom(earlier);
        for (Map.Entry<StateKey, String> slot : diff.entrySet()) {
            if (slot.getValue() == null || earlier.get(slot.getKey()) != null) {
                return null;
            }
        }
        return diff;
    }

    /** The room's forward extremities. */
    public List<String> forwardExtremities(String roomId) {
        return extremities.ofRoom(roomId);
    }

    /** State resolution's view of our events, including which were rejected. */
    public EventLookup lookup() {
        return new EventLookup() {
            @Override
            public Pdu get(String eventId) {
                return event(eventId).orElse(null);
            }

            @Override
            public boolean isRejected(String eventId) {
                return EventGraph.this.isRejected(eventId);
            }
        };
    }

    /** {@link #lookup()}, answering first for an accepted event being written in this transaction. */
    EventLookup lookupWith(Pdu fresh) {
        EventLookup stored = lookup();
        return new EventLookup() {
            @Override
            public Pdu get(String eventId) {
                return fresh.eventId().equals(eventId) ? fresh : stored.get(eventId);
            }

            @Override
            public boolean isRejected(String eventId) {
                return !fresh.eventId().equals(eventId) && stored.isRejected(eventId);
            }
        };
    }

    /** Records an event's rejection flag as it is stored. */
    void rememberRejection(String eventId, boolean rejected) {
        if (rejection.size() > CACHED_EVENTS) {
            rejection.clear();
        }
        rejection.put(eventId, rejected);
    }

    /** Whether a stored event was rejected; that never changes once it is stored. */
    public boolean isRejected(String eventId) {
        Boolean known = rejection.get(eventId);
        if (known != null) {
            return known;
        }
        Optional<EventRecord> record = events.findById(eventId);
        record.ifPresent(r -> {
            if (rejection.size() > CACHED_EVENTS) {
                rejection.clear();
            }
            rejection.put(eventId, r.rejected());
        });
        return record.map(EventRecord::rejected).orElse(false);
    }
}
