package org.vestibule.room;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.auth.AuthEventSelection;
import org.vestibule.auth.AuthResult;
import org.vestibule.auth.StateKey;
import org.vestibule.error.MatrixException;
import org.vestibule.event.EventHashes;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.UnpaddedBase64;
import org.vestibule.keys.ServerKeyring;

/**
 * Builds, signs and persists events of our own users: prev_events are the room's forward
 * extremities (at most {@value Pdu#MAX_PREV_EVENTS}, what we and Synapse accept), auth_events by the
 * spec's selection, depth one more than the deepest prev event.
 */
@Service
public class LocalEvents {

    private static final long MAX_DEPTH = 9007199254740991L;

    /** The type of the events that merge a room's forks. */
    static final String MERGE_TYPE = "org.matrix.dummy_event";

    private static final int MERGING_MEMBERS_TRIED = 3;

    private final RoomStateCache cache;
    private final EventGraph graph;
    private final EventPersister persister;
    private final ServerKeyring keyring;
    private final EventRelay relay;
    private final PartialStateRooms partialRooms;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final TransactionTemplate tx;
    private final RoomMemberships memberships;

    LocalEvents(RoomStateCache cache, EventGraph graph, EventPersister persister, ServerKeyring keyring,
                EventRelay relay, PartialStateRooms partialRooms, Clock clock, TransactionTemplate tx,
                RoomMemberships memberships) {
        this.memberships = memberships;
        this.partialRooms = partialRooms;
        this.cache = cache;
        this.graph = graph;
        this.persister = persister;
        this.keyring = keyring;
        this.relay = relay;
        this.clock = clock;
        this.tx = tx;
    }

    /**
     * Builds, signs and persists an event by a local user, refusing it with 403 M_FORBIDDEN and
     * the rule that refused it when the auth rules do not allow it.
     */
    public Pdu send(String roomId, String sender, String type, String stateKey, Map<String, Object> content) {
        return tx.execute(status -> send(roomId, sender, type, stateKey, content, null));
    }

    /**
     * A local user's m.room.redaction of {@code redacts}: named in content from room version 11,
     * at the top level before (spec rooms v11 "redacts moved into content").
     */
    public Pdu sendRedaction(String roomId, String sender, String redacts, Map<String, Object> content) {
        return tx.execute(status -> send(roomId, sender, "m.room.redaction", null, content, redacts));
    }

    private Pdu send(String roomId, String sender, String type, String stateKey, Map<String, Object> content,
                     String redacts) {
        RoomLock room = persister.lock(roomId);
        RoomVersion version = graph.roomVersion(roomId).orElseThrow();
        RoomSnapshot snapshot = mergeForks(room, version, cache.get(roomId, room.stateVersion()), sender);
        Map<String, Object> body = content;
        if (redacts != null && version.redactsInContent()) {
            body = new LinkedHashMap<>(content);
            body.put("redacts", redacts);
        }
        Map<String, Object> unsigned = template(roomId, version, snapshot, sender, type, stateKey, body);
        if (redacts != null && !version.redactsInContent()) {
            unsigned.put("redacts", redacts);
        }
        Pdu event = sign(unsigned, version);
        AuthResult auth = persister.checkAgainstState(event, snapshot.state());
        if (auth instanceof AuthResult.Rejected r) {
            throw MatrixException.forbidden("The room's rules do not allow this event: " + r.reason()
                    + " (auth rule " + r.rule() + ")");
        }
        persister.persistOrRefuse(room, event);
        relay.relay(event, destinations(roomId, cache.get(roomId, room.stateVersion())), Set.of());
        return event;
    }

    /**
     * Builds and signs a local user's event on the room's current state without storing it, for
     * events another server must sign too before they count (an invite of a remote user); 403
     * when the auth rules would not allow it. {@link #commit} stores it afterwards. Past 20 forks
     * they are merged first, as before {@link #send}.
     */
    public Pdu build(String roomId, String sender, String type, String stateKey, Map<String, Object> content) {
        RoomVersion version = graph.roomVersion(roomId).orElseThrow(() -> MatrixException.notFound("Unknown room " + roomId));
        RoomSnapshot snapshot = merged(snapshot(roomId), sender);
        Pdu event = sign(template(roomId, version, snapshot, sender, type, stateKey, content), version);
        AuthResult auth = persister.checkAgainstState(event, snapshot.state());
        if (auth instanceof AuthResult.Rejected r) {
            throw MatrixException.forbidden("The room's rules do not allow this event: " + r.reason()
                    + " (auth rule " + r.rule() + ")");
        }
        return event;
    }

    /**
     * Stores an event made by {@link #build} (refused with 403 if the room no longer allows it)
     * and relays it to the room's other servers but {@code except}.
     */
    public Pdu commit(Pdu event, Set<String> except) {
        return tx.execute(status -> {
            persister.persistOrRefuse(event);
            relay.relay(event, destinations(event.roomId(), snapshot(event.roomId())), except);
            return event;
        });
    }

    /**
     * Past {@value Pdu#MAX_PREV_EVENTS} extremities no event can name them all, and what the forks it
     * leaves out hold (a member's join) is missing from the state before it, so from who may see it.
     * Events of no content ({@value #MERGE_TYPE}, as Synapse sends) first name 20 at a time, until
     * one event can name the rest: by {@code sender} when joined, else by the first of our joined
     * members the room lets send one (a few are tried: the room's lock is held). When none may, the
     * event names the 20 it can, as before.
     */
    private RoomSnapshot mergeForks(RoomLock room, RoomVersion version, RoomSnapshot snapshot, String sender) {
        if (snapshot.extremities().size() <= Pdu.MAX_PREV_EVENTS) {
            return snapshot;
        }
        List<String> members = memberships.joinedUsersOf(room.roomId(), keyring.serverName());
        Set<String> tried = new LinkedHashSet<>();
        if (sender != null && members.contains(sender)) {
            tried.add(sender);
        }
        members.stream().limit(MERGING_MEMBERS_TRIED).forEach(tried::add);
        RoomSnapshot current = snapshot;
        for (String member : tried) {
            current = mergeForksBy(room, version, current, member);
            if (current.extremities().size() <= Pdu.MAX_PREV_EVENTS) {
                break;
            }
        }
        return current;
    }

    /** {@link #mergeForks} by one member, while the room lets them send the merge events. */
    private RoomSnapshot mergeForksBy(RoomLock room, RoomVersion version, RoomSnapshot snapshot, String member) {
        while (snapshot.extremities().size() > Pdu.MAX_PREV_EVENTS) {
            Pdu merge = sign(template(room.roomId(), version, snapshot, member, MERGE_TYPE, null, Map.of()), version);
            if (!persister.persistIfAllowed(room, merge)) {
                return snapshot;
            }
            RoomSnapshot merged = cache.get(room.roomId(), room.stateVersion());
            relay.relay(merge, destinations(room.roomId(), merged), Set.of());
            if (merged.extremities().size() >= snapshot.extremities().size()) {
                return merged; // each merge takes 19 away; never loop with the room's lock held
            }
            snapshot = merged;
        }
        return snapshot;
    }

    /**
     * For a template another server's event starts from (make_join and the like): the room's forks
     * merged first past {@value Pdu#MAX_PREV_EVENTS} extremities, as before our own events; the
     * room's snapshot after.
     */
    public RoomSnapshot mergedForTemplate(RoomSnapshot snapshot) {
        return merged(snapshot, null);
    }

    /** {@link #mergeForks} under the room's lock, taken here. */
    private RoomSnapshot merged(RoomSnapshot snapshot, String sender) {
        if (snapshot.extremities().size() <= Pdu.MAX_PREV_EVENTS) {
            return snapshot;
        }
        return tx.execute(status -> {
            RoomLock room = persister.lock(snapshot.roomId());
            RoomVersion version = graph.roomVersion(snapshot.roomId()).orElseThrow();
            return mergeForks(room, version, cache.get(snapshot.roomId(), room.stateVersion()), sender);
        });
    }

    /**
     * The servers to send our event to: those with joined members, and in a room we hold with
     * partial state also those the resident named, whose members' events we do not have yet.
     */
    private Collection<String> destinations(String roomId, RoomSnapshot snapshot) {
        List<String> extra = snapshot.partialState() ? partialRooms.extraServers(roomId) : List.of();
        if (extra.isEmpty()) {
            return snapshot.joinedServers();
        }
        Set<String> all = new LinkedHashSet<>(snapshot.joinedServers());
        all.addAll(extra);
        return all;
    }

    /**
     * The deepest extremities that fit, the sender's membership among them when it is one of its own
     * (a join forked off with others): without it the state before the event lacks the sender.
     */
    private static List<Pdu> withSendersMembership(List<Pdu> byDepth, String membership) {
        List<Pdu> chosen = new ArrayList<>(byDepth.subList(0, Pdu.MAX_PREV_EVENTS));
        if (membership != null && chosen.stream().noneMatch(p -> p.eventId().equals(membership))) {
            byDepth.stream().filter(p -> p.eventId().equals(membership)).findFirst()
                    .ifPresent(own -> chosen.set(Pdu.MAX_PREV_EVENTS - 1, own));
        }
        return chosen;
    }

    /**
     * An unsigned event template on top of the room's current state and extremities: what
     * make_join hands a joining server, or what {@link #send} signs.
     */
    public Map<String, Object> template(String roomId, RoomVersion version, RoomSnapshot snapshot, String sender,
                                        String type, String stateKey, Map<String, Object> content) {
        List<Pdu> prevs = new ArrayList<>(graph.events(snapshot.extremities()).values());
        prevs.sort(Comparator.comparingLong(Pdu::depth).reversed());
        // All of them whenever they fit: the state before the event is then the room's current state,
        // the one it was checked against (ten, as Synapse picks, left a member's own join out).
        if (prevs.size() > Pdu.MAX_PREV_EVENTS) {
            prevs = withSendersMembership(prevs, snapshot.state().get(StateKey.member(sender)));
        }
        long depth = Math.min(MAX_DEPTH, prevs.stream().mapToLong(Pdu::depth).max().orElse(0) + 1);
        List<StateKey> authKeys = AuthEventSelection.select(version, type, stateKey == null ? "" : stateKey, sender,
                content);
        List<Pdu> authEvents = new ArrayList<>(graph.stateEvents(snapshot.state(), authKeys).values());

        Map<String, Object> event = new LinkedHashMap<>();
        event.put("room_id", roomId);
        event.put("type", type);
        if (stateKey != null) {
            event.put("state_key", stateKey);
        }
        event.put("sender", sender);
        event.put("content", content);
        event.put("origin_server_ts", clock.millis());
        event.put("depth", depth);
        event.put("prev_events", references(prevs, version));
        event.put("auth_events", references(authEvents, version));
        if (version.hasExplicitEventIds()) {
            event.put("event_id", newEventId());
        }
        return event;
    }

    /** Hashes and signs an event we made. */
    public Pdu sign(Map<String, Object> unsigned, RoomVersion version) {
        Map<String, Object> signed = EventSigning.hashAndSign(unsigned, version, keyring.serverName(),
                keyring.signingKey());
        return Pdu.fromJson(signed, version);
    }

    /**
     * A leave after a user's invite or knock in a room this server is not in, made when no server of
     * the room took one (gone, or no longer in it): only we hold it, so that the user is out of the
     * room on our side and their clients see the leave. It follows that membership alone.
     */
    public Pdu outOfBandLeave(Pdu membership, Map<String, Object> content) {
        RoomVersion version = membership.roomVersion();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("room_id", membership.roomId());
        event.put("sender", membership.stateKey());
        event.put("type", "m.room.member");
        event.put("state_key", membership.stateKey());
        Map<String, Object> leave = new LinkedHashMap<>(content);
        leave.put("membership", "leave");
        event.put("content", leave);
        event.put("origin", keyring.serverName());
        event.put("origin_server_ts", clock.millis());
        event.put("depth", membership.depth() + 1);
        event.put("prev_events", references(List.of(membership), version));
        event.put("auth_events", references(List.of(membership), version));
        if (version.hasExplicitEventIds()) {
            event.put("event_id", newEventId());
        }
        return sign(event, version);
    }

    /** A fresh v1/v2-style event ID on our server. */
    public String newEventId() {
        byte[] bytes = new byte[12];
        random.nextBytes(bytes);
        return "$" + UnpaddedBase64.encodeUrlSafe(bytes) + ":" + keyring.serverName();
    }

    private static List<Object> references(List<Pdu> events, RoomVersion version) {
        List<Object> refs = new ArrayList<>(events.size());
        for (Pdu p : events) {
            if (version.hasExplicitEventIds()) {
                refs.add(List.of(p.eventId(), Map.of("sha256",
                        UnpaddedBase64.encode(EventHashes.referenceHash(p.json(), version)))));
            } else {
                refs.add(p.eventId());
            }
        }
        return refs;
    }

    /** The current snapshot of a room we know, checked against its state version. */
    public Optional<RoomSnapshot> findSnapshot(String roomId) {
        return Optional.ofNullable(cache.current(roomId));
    }

    /** The current snapshot of a room, checked against its state version. */
    public RoomSnapshot snapshot(String roomId) {
        RoomSnapshot s = cache.current(roomId);
        if (s == null) {
            throw MatrixException.notFound("Unknown room " + roomId);
        }
        return s;
    }

}
