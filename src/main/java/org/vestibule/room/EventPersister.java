package org.vestibule.room;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.auth.AuthEventSelection;
import org.vestibule.auth.AuthResult;
import org.vestibule.auth.AuthRules;
import org.vestibule.auth.EventLookup;
import org.vestibule.auth.StateKey;
import org.vestibule.auth.StateResolver;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.room.StateGroups.Planned;
import org.vestibule.room.StateGroups.Ref;
import org.vestibule.room.StateGroups.Stored;

/**
 * Puts events into the graph (spec server-server §Checks performed on receipt of a PDU, steps
 * 4–6): auth against the event's auth events, then against the state before it (resolved over
 * its prev_events), then soft-fail against current state; then stores the event, its edges, the
 * state at it, and the room's new current state, memberships and extremities. Every write to a
 * room runs in one transaction that first locks the room's row.
 *
 * <p>Format, hash and signature checks happen before an event gets here.
 */
@Service
public class EventPersister {

    private static final Logger log = LoggerFactory.getLogger(EventPersister.class);

    private final Rooms rooms;
    private final EventRows rows;
    private final EventGraph graph;
    private final StateGroups stateGroups;
    private final RoomStateCache cache;
    private final EventWrites writes;
    private final PartialStateRooms partialRooms;
    private final JdbcTemplate jdbc;
    private final Redactions redactions;
    private final Clock clock;
    private final TransactionTemplate tx;

    EventPersister(Rooms rooms, EventRows rows, EventGraph graph, StateGroups stateGroups, RoomStateCache cache,
                   EventWrites writes, PartialStateRooms partialRooms, JdbcTemplate jdbc, Redactions redactions,
                   Clock clock, TransactionTemplate tx) {
        this.partialRooms = partialRooms;
        this.redactions = redactions;
        this.jdbc = jdbc;
        this.rooms = rooms;
        this.rows = rows;
        this.graph = graph;
        this.stateGroups = stateGroups;
        this.cache = cache;
        this.writes = writes;
        this.clock = clock;
        this.tx = tx;
    }

    /** Creates a room from its create event, which becomes the room's first event. */
    public PersistOutcome createRoom(Pdu create) {
        return tx.execute(status -> {
            if (!create.isStateOf("m.room.create", "")) {
                throw new IllegalArgumentException("not a create event: " + create);
            }
            if (rooms.existsById(create.roomId())) {
                throw new MatrixException(400, "M_ROOM_IN_USE", "Room " + create.roomId() + " already exists");
            }
            rooms.saveAndFlush(new Room(create.roomId(), create.roomVersion().id(), create.sender(), clock.millis()));
            graph.rememberRoomVersion(create.roomId(), create.roomVersion());
            return persistLocked(null, create, null, false, false);
        });
    }

    /**
     * Persists an event from another server into the graph of a room we know; rejected events
     * are stored as rejected. In a room we hold with partial state the event is checked against
     * its own auth events only: the state before it lacks the members the resident left out, so
     * its sender may well be missing from it.
     */
    public PersistOutcome persist(Pdu event) {
        return tx.execute(status -> {
            RoomLock room = lock(event.roomId());
            return persistLocked(room, event, null, false,
                    cache.get(event.roomId(), room.stateVersion()).partialState());
        });
    }

    /**
     * Persists an event only if it passes every check, else stores nothing: for events a peer or
     * client hands us directly (send_join, send_leave), where refusing is the answer.
     *
     * @throws MatrixException 403 M_FORBIDDEN naming the auth rule, or 400 M_INVALID_PARAM when the
     *                         event refers to events we do not have
     */
    public PersistOutcome.Stored persistOrRefuse(Pdu event) {
        return persistOrRefuse(null, event);
    }

    /** {@link #persistOrRefuse(Pdu)} for a caller that already holds the room's lock. */
    PersistOutcome.Stored persistOrRefuse(RoomLock locked, Pdu event) {
        return tx.execute(status -> {
            PersistOutcome outcome = persistLocked(locked, event, null, false, false);
            if (outcome instanceof PersistOutcome.Stored stored && !stored.softFailed()) {
                return stored;
            }
            if (outcome instanceof PersistOutcome.Duplicate d) {
                return new PersistOutcome.Stored(d.event(), false);
            }
            // Throwing rolls the transaction back, so a refused event leaves nothing behind.
            if (outcome instanceof PersistOutcome.Rejected r) {
                throw MatrixException.forbidden("The event is not allowed by the room's rules: " + r.reason()
                        + " (auth rule " + r.rule() + ")");
            }
            if (outcome instanceof PersistOutcome.Stored) {
                throw MatrixException.forbidden("The event is not allowed by the room's current state (soft failure)");
            }
            PersistOutcome.MissingEvents m = (PersistOutcome.MissingEvents) outcome;
            throw MatrixException.invalidParam("The event refers to events this server does not have: auth "
                    + m.missingAuthEvents() + ", prev " + m.missingPrevEvents());
        });
    }

    /**
     * Stores one of our own events only if the auth rules allow it where it stands (the state before
     * it and the current state), else nothing and no error: for an event no one asked for, whose
     * refusal must not undo the transaction it is made in.
     *
     * @return whether it was stored
     */
    boolean persistIfAllowed(RoomLock locked, Pdu event) {
        return tx.execute(status -> persistLocked(locked, event, null, false, false, false)) instanceof PersistOutcome.Stored;
    }

    /**
     * How one of our users' joins through a resident was placed.
     *
     * @param outcome      what became of the join
     * @param startsResync whether the room became partial-state with it (the caller starts the
     *                     resync once the transaction commits)
     */
    public record JoinPlaced(PersistOutcome outcome, boolean startsResync) {}

    /**
     * Persists one of our users' joins from a resident's send_join answer, with the state before
     * it as the resident sent it (its events stored already, as outliers at least).
     * <p>
     * When no user of ours is in the room (a room new to us, or one we left), that state becomes
     * the room's and the join its only extremity; with {@code resyncServers} (members omitted) the
     * room becomes partial-state. When one is (another of our users' joins through a resident
     * finished first, or a resident authorised a join none of ours could), the join is one more
     * event of the room, resolved with its other extremities: on its prev_events when we hold
     * them, else on the resident's state. Replacing the state then would drop what we hold and
     * the resident did not show, such as those other joins.
     */
    public JoinPlaced persistJoin(Pdu join, Map<StateKey, String> stateBefore, Collection<String> resyncServers) {
        return tx.execute(status -> {
            RoomLock room = lock(join.roomId());
            RoomSnapshot snapshot = cache.get(join.roomId(), room.stateVersion());
            if (Identifiers.serverOf(join.sender()).filter(snapshot::isJoined).isPresent()) {
                PersistOutcome outcome = persistLocked(room, join, null, false, snapshot.partialState());
                if (outcome instanceof PersistOutcome.MissingEvents m && m.missingAuthEvents().isEmpty()) {
                    outcome = persistLocked(room, join, stateBefore, false, snapshot.partialState());
                }
                return new JoinPlaced(outcome, false);
            }
            if (resyncServers == null) {
                return new JoinPlaced(persistLocked(room, join, stateBefore, true, false), false);
            }
            // Flagged first: the snapshot this join makes current reads the flag (advanceRoom).
            partialRooms.flag(join.roomId(), join.eventId(), resyncServers, clock.millis());
            PersistOutcome outcome = persistLocked(room, join, stateBefore, true, false);
            boolean stored = outcome instanceof PersistOutcome.Stored s && !s.softFailed();
            if (!stored) {
                partialRooms.clear(join.roomId());
            }
            return new JoinPlaced(outcome, stored);
        });
    }

    /**
     * Persists an event after a gap in the graph: its prev_events are unknown, so the state
     * before it is as another server told us (/state_ids); unlike a join, the room's other
     * extremities stay.
     */
    public PersistOutcome persistAfterGap(Pdu event, Map<StateKey, String> stateBefore) {
        return tx.execute(status -> {
            RoomLock room = lock(event.roomId());
            return persistLocked(room, event, stateBefore, false,
                    cache.get(event.roomId(), room.stateVersion()).partialState());
        });
    }

    /**
     * What a batch of backfilled events came to.
     *
     * @param stored   events placed in the graph, rejected ones included
     * @param rejected of those, the ones the auth rules refused (stored as rejected, never shown)
     * @param skipped  events left out: auth events unknown, or no state to place them on
     */
    public record Backfilled(List<String> stored, List<String> rejected, List<String> skipped) {}

    /**
     * Places history older than what we held into the graph (spec server-server §Backfilling, and
     * §Checks performed on receipt of a PDU steps 4 and 5): each event checked against its auth
     * events and the state before it, that state resolved over its prev_events or, where we lack
     * them, as a peer told us ({@code stateBefore}, from /state_ids). Step 6 does not apply: the
     * current state is not what history answers to. Backfilled events never touch the current
     * state, memberships or forward extremities, and take stream orderings below zero, so /sync
     * never shows them; they lock the room's row like every other write to its graph.
     *
     * @param events      predecessors first; events already in the graph are passed over
     * @param stateBefore for events whose prev_events we lack, the state before them; the state's
     *                    events must be stored already (as outliers at least)
     */
    public Backfilled persistBackfilled(String roomId, List<Pdu> events, Map<String, Map<StateKey, String>> stateBefore) {
        return tx.execute(status -> {
            lock(roomId);
            List<String> lookup = new ArrayList<>();
            for (Pdu e : events) {
                lookup.add(e.eventId());
                lookup.addAll(e.prevEvents());
            }
            Map<String, EventPlacement> found = new HashMap<>();
            rows.placements(lookup).forEach(r -> found.put(r.eventId(), r));
            List<String> stored = new ArrayList<>();
            List<String> rejected = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            long now = clock.millis();
            for (Pdu event : events) {
                if (!roomId.equals(event.roomId())) {
                    skipped.add(event.eventId());
                    continue;
                }
                EventPlacement existing = found.get(event.eventId());
                if (existing != null && !existing.outlier()) {
                    continue;
                }
                Map<String, Pdu> authEvents = graph.events(event.authEvents());
                if (authEvents.size() < new HashSet<>(event.authEvents()).size()) {
                    skipped.add(event.eventId());
                    continue;
                }
                List<EventPlacement> prevs = new ArrayList<>();
                for (String prev : event.prevEvents()) {
                    EventPlacement r = found.get(prev);
                    if (r != null && r.stateAfter() != null) {
                        prevs.add(r);
                    }
                }
                RoomState before;
                Long beforeGroup;
                Map<StateKey, String> told = stateBefore.get(event.eventId());
                if (prevs.size() == event.prevEvents().size() && prevs.size() == 1) {
                    beforeGroup = prevs.get(0).stateAfter();
                    before = stateGroups.load(beforeGroup);
                } else if (prevs.size() == event.prevEvents().size() && !prevs.isEmpty()) {
                    Long base = prevs.get(0).stateAfter();
                    RoomState baseState = stateGroups.load(base);
                    List<RoomState> forks = new ArrayList<>();
                    for (EventPlacement r : prevs) {
                        forks.add(stateGroups.load(r.stateAfter()));
                    }
                    before = resolveOnto(event.roomVersion(), baseState, forks, graph.lookup());
                    beforeGroup = stateGroups.store(roomId, before, base, baseState);
                } else if (told != null) {
                    before = RoomState.of(told);
                    beforeGroup = stateGroups.store(roomId, before, null, null);
                } else if (event.prevEvents().isEmpty() && isCreate(event)) {
                    before = RoomState.EMPTY;
                    beforeGroup = stateGroups.store(roomId, before, null, null);
                } else {
                    skipped.add(event.eventId());
                    continue;
                }
                AuthResult auth = checkAgainstAuthEvents(event, authEvents);
                if (auth.allowed()) {
                    auth = checkAgainstState(event, before);
                }
                RoomState after = before;
                Long afterGroup = beforeGroup;
                if (auth.allowed() && event.isState()) {
                    after = before.with(StateKey.of(event), event.eventId());
                    afterGroup = stateGroups.store(roomId, after, beforeGroup, before);
                }
                String rejection = auth instanceof AuthResult.Rejected r ? r.toString() : null;
                writes.storeBackfilled(event, now, new EventWrites.Placement(rejection, false, new Stored(beforeGroup),
                        new Stored(afterGroup)), existing != null);
                graph.cache(event);
                graph.rememberRejection(event.eventId(), rejection != null);
                found.put(event.eventId(), new EventPlacement(event.eventId(), false, afterGroup));
                stored.add(event.eventId());
                if (rejection != null) {
                    log.info("Rejected backfilled {}: {}", event.eventId(), rejection);
                    rejected.add(event.eventId());
                }
            }
            return new Backfilled(stored, rejected, skipped);
        });
    }

    /**
     * Ends a partial-state join: the full state before our join, fetched from a resident, becomes
     * the join's state-before, and every event placed since (and the current state) is rebased:
     * the full state after the join plus whatever changed on top of the partial state after it.
     * Returns false, changing nothing, when the room is no longer flagged for this join.
     */
    public boolean installFullState(String roomId, String joinEventId, Map<StateKey, String> fullStateBefore) {
        return tx.execute(status -> {
            RoomLock room = lock(roomId);
            PartialStateRooms.Entry entry = partialRooms.find(roomId).orElse(null);
            if (entry == null || !entry.joinEventId().equals(joinEventId)) {
                return false;
            }
            Pdu join = graph.event(joinEventId).orElseThrow();
            EventRecord joinRecord = graph.record(joinEventId).orElseThrow();
            RoomState partialAfter = stateGroups.load(joinRecord.stateAfter());
            RoomState fullBefore = RoomState.of(fullStateBefore);
            RoomState fullAfter = fullBefore.with(StateKey.of(join), join.eventId());
            long beforeGroup = stateGroups.store(roomId, fullBefore, null, null);
            long afterGroup = stateGroups.store(roomId, fullAfter, beforeGroup, fullBefore);

            // Every state group of an event placed after our join grew from the partial state after it.
            Map<Long, Long> rebasedGroups = new HashMap<>();
            rebasedGroups.put(joinRecord.stateAfter(), afterGroup);
            List<Object[]> updates = new ArrayList<>();
            updates.add(new Object[] {beforeGroup, afterGroup, joinEventId});
            List<Object[]> later = jdbc.query("""
                    select event_id, state_before, state_after from events
                    where room_id = ? and not outlier and state_before is not null
                      and stream_ordering > (select stream_ordering from events where event_id = ?)""",
                    (rs, n) -> new Object[] {rs.getString(1), rs.getLong(2), rs.getLong(3)}, roomId, joinEventId);
            for (Object[] row : later) {
                long before = rebase(roomId, (Long) row[1], partialAfter, fullAfter, afterGroup, rebasedGroups);
                long after = rebase(roomId, (Long) row[2], partialAfter, fullAfter, afterGroup, rebasedGroups);
                updates.add(new Object[] {before, after, row[0]});
            }
            jdbc.batchUpdate("update events set state_before = ?, state_after = ? where event_id = ?", updates);

            RoomSnapshot snapshot = cache.get(roomId, room.stateVersion());
            RoomState current = fullAfter.withAll(snapshot.state().diffFrom(partialAfter));
            Long currentGroup = snapshot.stateGroup() == null ? null : rebasedGroups.get(snapshot.stateGroup());
            moveCurrentState(room, snapshot, current, currentGroup, snapshot.extremities(), List.of(), List.of(), false,
                    false);
            partialRooms.clear(roomId);
            // No timeline event says the state changed: a stream position for syncs to send it whole.
            jdbc.update("""
                    insert into room_state_resets (room_id, stream_ordering)
                    values (?, nextval(pg_get_serial_sequence('events', 'stream_ordering')))
                    on conflict (room_id) do update set stream_ordering = excluded.stream_ordering""", roomId);
            log.info("Installed the full state of {} ({} entries, {} events rebased)", roomId, current.size(),
                    later.size());
            return true;
        });
    }

    /** The group standing for a partial-state group rebased onto the full state after our join. */
    private long rebase(String roomId, long group, RoomState partialAfter, RoomState fullAfter, long fullAfterGroup,
                        Map<Long, Long> rebasedGroups) {
        Long done = rebasedGroups.get(group);
        if (done != null) {
            return done;
        }
        RoomState rebased = fullAfter.withAll(stateGroups.load(group).diffFrom(partialAfter));
        long id = stateGroups.store(roomId, rebased, fullAfterGroup, fullAfter);
        rebasedGroups.put(group, id);
        return id;
    }

    /** Locks the room's row until the transaction ends; 404 for a room we do not know. */
    RoomLock lock(String roomId) {
        return RoomLock.take(jdbc, roomId).orElseThrow(() -> MatrixException.notFound("Unknown room " + roomId));
    }

    /**
     * Creates the row of a room we are joining, if it is new to us, and holds its lock until the
     * transaction ends. The events come next, as outliers and then the join with its state.
     * Several of our users may be joining the room through residents at once: their answers share
     * events, so they are stored one join after the other, never interleaved.
     */
    public void ensureRoom(String roomId, RoomVersion version, String creator) {
        tx.executeWithoutResult(status -> {
            jdbc.update("insert into rooms (room_id, room_version, creator, created_ts, is_public, state_version) "
                    + "values (?, ?, ?, ?, false, 0) on conflict (room_id) do nothing", roomId, version.id(), creator,
                    clock.millis());
            lock(roomId);
            graph.rememberRoomVersion(roomId, version);
        });
    }

    /**
     * Stores events known only through auth chains or state answers, each checked against its
     * own auth events, in an order where auth events come first. Events whose auth events are
     * missing are left out and returned.
     */
    public Set<String> persistOutliers(Collection<Pdu> outliers) {
        return tx.execute(status -> {
            Map<String, Pdu> pending = new HashMap<>();
            for (Pdu p : outliers) {
                pending.put(p.eventId(), p);
            }
            Set<String> known = new HashSet<>(rows.knownIds(pending.keySet()));
            known.forEach(pending::remove);
            // Kahn's algorithm: an event is ready once every auth event it names is stored.
            Map<String, List<Pdu>> waiting = new HashMap<>();
            Map<String, Integer> blockers = new HashMap<>();
            ArrayDeque<Pdu> ready = new ArrayDeque<>();
            Set<String> external = new HashSet<>();
            for (Pdu p : pending.values()) {
                for (String a : authDependencies(p)) {
                    if (!pending.containsKey(a) && !known.contains(a)) {
                        external.add(a);
                    }
                }
            }
            Set<String> externalKnown = external.isEmpty() ? Set.of() : graph.events(external).keySet();
            for (Pdu p : pending.values()) {
                int n = 0;
                boolean unavailable = false;
                for (String a : authDependencies(p)) {
                    if (pending.containsKey(a)) {
                        n++;
                        waiting.computeIfAbsent(a, k -> new ArrayList<>()).add(p);
                    } else if (!known.contains(a) && !externalKnown.contains(a)) {
                        unavailable = true;
                    }
                }
                if (unavailable) {
                    blockers.put(p.eventId(), Integer.MAX_VALUE); // never ready: an auth event we cannot have
                } else if (n == 0) {
                    ready.add(p);
                } else {
                    blockers.put(p.eventId(), n);
                }
            }
            List<Pdu> batch = new ArrayList<>();
            List<String> rejections = new ArrayList<>();
            long now = clock.millis();
            while (!ready.isEmpty()) {
                Pdu p = ready.poll();
                Map<String, Pdu> auth = graph.events(p.authEvents());
                AuthResult result = checkAgainstAuthEvents(p, auth);
                graph.cache(p);
                graph.rememberRejection(p.eventId(), !result.allowed());
                batch.add(p);
                rejections.add(result instanceof AuthResult.Rejected r ? r.toString() : null);
                pending.remove(p.eventId());
                for (Pdu next : waiting.getOrDefault(p.eventId(), List.of())) {
                    int left = blockers.merge(next.eventId(), -1, Integer::sum);
                    if (left == 0) {
                        ready.add(next);
                    }
                }
                if (batch.size() == 500) {
                    writes.storeOutliers(batch, rejections, now);
                    batch.clear();
                    rejections.clear();
                }
            }
            writes.storeOutliers(batch, rejections, now);
            return Set.copyOf(pending.keySet());
        });
    }

    /**
     * The events that must be checked before this one: its auth events and, in room version 12
     * where auth_events leaves it out, the create event that the room ID names (without it, a
     * creator's power levels would be checked as if the creator had none).
     */
    private static Collection<String> authDependencies(Pdu event) {
        if (!event.roomVersion().roomIdIsCreateEventHash() || isCreate(event)) {
            return event.authEvents();
        }
        List<String> ids = new ArrayList<>(event.authEvents());
        ids.add("$" + event.roomId().substring(1));
        return ids;
    }

    /**
     * @param authEventsOnly skip the checks against the state before the event and the current
     *                       state (spec steps 5 and 6): for rooms we hold with partial state
     */
    private PersistOutcome persistLocked(RoomLock locked, Pdu event, Map<StateKey, String> stateOverride,
                                         boolean replaceExtremities, boolean authEventsOnly) {
        return persistLocked(locked, event, stateOverride, replaceExtremities, authEventsOnly, true);
    }

    /** @param storeRefused store an event the rules reject, or the current state would not allow, as such */
    private PersistOutcome persistLocked(RoomLock locked, Pdu event, Map<StateKey, String> stateOverride,
                                         boolean replaceExtremities, boolean authEventsOnly, boolean storeRefused) {
        String roomId = event.roomId();
        RoomLock room = locked != null ? locked : lock(roomId);
        RoomVersion version = event.roomVersion();
        RoomSnapshot snapshot = cache.get(roomId, room.stateVersion());
        // One query for the event itself (already stored?), its prev events and the room's
        // extremities (whose states the new current state is resolved from).
        Set<String> lookup = new LinkedHashSet<>(event.prevEvents());
        lookup.add(event.eventId());
        if (!replaceExtremities) {
            lookup.addAll(snapshot.extremities());
        }
        Map<String, EventPlacement> found = new HashMap<>();
        rows.placements(lookup).forEach(r -> found.put(r.eventId(), r));
        EventPlacement existing = found.get(event.eventId());
        if (existing != null && !existing.outlier()) {
            return new PersistOutcome.Duplicate(graph.event(event.eventId()).orElseThrow());
        }

        // Step 4: the auth rules on the event's own auth events.
        Map<String, Pdu> authEvents = graph.events(event.authEvents());
        Set<String> missingAuth = new LinkedHashSet<>(event.authEvents());
        missingAuth.removeAll(authEvents.keySet());
        Set<String> missingPrev = new LinkedHashSet<>();
        List<EventPlacement> prevRecords = new ArrayList<>();
        if (stateOverride == null) {
            for (String prev : event.prevEvents()) {
                EventPlacement r = found.get(prev);
                if (r == null || r.stateAfter() == null) {
                    missingPrev.add(prev);
                } else {
                    prevRecords.add(r);
                }
            }
        }
        if (!missingAuth.isEmpty() || !missingPrev.isEmpty()) {
            return new PersistOutcome.MissingEvents(missingAuth, missingPrev);
        }

        AuthResult authResult = checkAgainstAuthEvents(event, authEvents);

        // Step 5: the state before the event, resolved over its prev_events. Its group, and the
        // state after's, are written with the event when new.
        RoomState stateBefore;
        Ref beforeGroup;
        if (stateOverride != null) {
            stateBefore = RoomState.of(stateOverride);
            beforeGroup = stateGroups.plan(roomId, stateBefore, null, null);
        } else if (prevRecords.isEmpty()) {
            stateBefore = RoomState.EMPTY;
            beforeGroup = stateGroups.plan(roomId, stateBefore, null, null);
        } else if (prevRecords.size() == 1) {
            beforeGroup = new Stored(prevRecords.get(0).stateAfter());
            stateBefore = stateGroups.load(prevRecords.get(0).stateAfter());
        } else {
            Long base = prevRecords.get(0).stateAfter();
            RoomState baseState = stateGroups.load(base);
            if (new HashSet<>(event.prevEvents()).equals(new HashSet<>(snapshot.extremities()))) {
                // Our own events point at all extremities: their resolution is the current state already.
                stateBefore = snapshot.state();
            } else {
                List<RoomState> forks = new ArrayList<>();
                for (EventPlacement r : prevRecords) {
                    forks.add(stateGroups.load(r.stateAfter()));
                }
                stateBefore = resolveOnto(version, baseState, forks, graph.lookup());
            }
            beforeGroup = snapshot.stateGroup() != null && stateBefore == snapshot.state()
                    ? new Stored(snapshot.stateGroup())
                    : stateGroups.plan(roomId, stateBefore, new Stored(base), baseState);
        }
        if (authResult.allowed() && !authEventsOnly) {
            authResult = checkAgainstState(event, stateBefore);
        }

        boolean softFailed = false;
        // A join on another server's state (replaceExtremities) becomes our current state; nothing to soft-fail against.
        if (authResult.allowed() && !replaceExtremities && !authEventsOnly && !snapshot.state().equals(stateBefore)
                && !isCreate(event)) {
            // Step 6: soft-fail events the current state would not allow.
            AuthResult current = checkAgainstState(event, snapshot.state());
            if (current instanceof AuthResult.Rejected r) {
                softFailed = true;
                log.info("Soft-failing {}: {}", event.eventId(), r);
            }
        }

        if (!storeRefused && (authResult instanceof AuthResult.Rejected || softFailed)) {
            return new PersistOutcome.Refused(event, authResult instanceof AuthResult.Rejected r ? r.toString()
                    : "the room's current state does not allow it");
        }

        RoomState stateAfter = stateBefore;
        Ref afterGroup = beforeGroup;
        if (authResult.allowed() && event.isState()) {
            stateAfter = stateBefore.with(StateKey.of(event), event.eventId());
            afterGroup = stateGroups.plan(roomId, stateAfter, beforeGroup, stateBefore);
        }
        List<Planned> newGroups = new ArrayList<>();
        if (beforeGroup instanceof Planned p) {
            newGroups.add(p);
        }
        if (afterGroup != beforeGroup && afterGroup instanceof Planned p) {
            newGroups.add(p);
        }
        String rejection = authResult instanceof AuthResult.Rejected r ? r.toString() : null;
        Move move = authResult.allowed() && !softFailed
                ? advanceRoom(room, snapshot, event, stateAfter, replaceExtremities, found) : null;
        // The event, its new groups and the room's advance: one statement.
        EventWrites.Written written = writes.store(event, clock.millis(),
                new EventWrites.Placement(rejection, softFailed, beforeGroup, afterGroup), newGroups, existing != null,
                move == null ? null : move.advance());
        Stored afterStored = afterGroup instanceof Stored s ? s : null;
        for (int k = 0; k < newGroups.size(); k++) {
            // The state after is the last new group when it is one.
            afterStored = stateGroups.written(newGroups.get(k), written.groupIds().get(k));
        }
        graph.cache(event);
        graph.rememberRejection(event.eventId(), rejection != null);

        if (authResult instanceof AuthResult.Rejected r) {
            log.info("Rejected {}: {}", event.eventId(), r);
            return new PersistOutcome.Rejected(event, r.rule(), r.reason());
        }
        if (move != null) {
            cache.putAfterCommit(roomId, move.snapshot(move.onStateAfter() ? Long.valueOf(afterStored.id()) : null));
            redactions.onStored(event, written.waitingRedactions());
        }
        return new PersistOutcome.Stored(event, softFailed);
    }

    /**
     * How the room's extremities and current state move forward to include the event; nothing
     * written yet.
     *
     * @param placements where the room's extremities are, read under the room's lock
     */
    private Move advanceRoom(RoomLock room, RoomSnapshot snapshot, Pdu event, RoomState stateAfter,
                             boolean replaceExtremities, Map<String, EventPlacement> placements) {
        List<String> newExtremities = new ArrayList<>();
        if (!replaceExtremities) {
            for (String e : snapshot.extremities()) {
                if (!event.prevEvents().contains(e)) {
                    newExtremities.add(e);
                }
            }
        }
        newExtremities.add(event.eventId());

        RoomState newState;
        if (newExtremities.size() == 1) {
            newState = stateAfter;
        } else {
            List<RoomState> forks = new ArrayList<>();
            for (String e : newExtremities) {
                EventPlacement r = placements.get(e);
                forks.add(e.equals(event.eventId()) || r == null ? stateAfter : stateGroups.load(r.stateAfter()));
            }
            // The event is written with the move, after this: resolution finds it here.
            newState = resolveOnto(event.roomVersion(), stateAfter, forks, graph.lookupWith(event));
        }

        List<String> removed = new ArrayList<>();
        for (String e : snapshot.extremities()) {
            if (!newExtremities.contains(e)) {
                removed.add(e);
            }
        }
        return planMove(room, snapshot, newState, newExtremities.size() == 1, List.copyOf(newExtremities), removed,
                List.of(event.eventId()), replaceExtremities,
                // A join onto a resident's state starts (or not) a partial-state room; anything else keeps the flag.
                replaceExtremities ? partialRooms.isPartial(room.roomId()) : snapshot.partialState(), event);
    }

    /**
     * The resolution of forks of a room's state, kept as changes on one of them so later diffs
     * stay small. Forks that only add to each other (concurrent joins) are resolved from the slots
     * they differ in; anything else runs the full algorithm on whole sets.
     */
    private RoomState resolveOnto(RoomVersion version, RoomState reference, List<RoomState> forks, EventLookup lookup) {
        List<Map<StateKey, String>> differences = new ArrayList<>();
        for (RoomState fork : forks) {
            if (fork != reference) {
                differences.add(fork.diffFrom(reference));
            }
        }
        Map<StateKey, String> changes = StateResolver.resolveAdditions(version, reference::get, differences, lookup)
                .orElseGet(() -> {
                    List<Map<StateKey, String>> sets = new ArrayList<>();
                    sets.add(reference.toMap());
                    forks.stream().filter(fork -> fork != reference).forEach(fork -> sets.add(fork.toMap()));
                    return RoomState.of(StateResolver.resolveFully(version, sets, lookup)).diffFrom(reference);
                });
        return reference.withAll(changes);
    }

    /**
     * A move of the room's current state, planned under its lock: what {@link EventWrites#advance}
     * writes, and the room's snapshot once that commits.
     *
     * @param onStateAfter whether the new current state is the state after the event stored with
     *                     the move (so its group is the snapshot's)
     */
    private record Move(EventWrites.Advance advance, RoomState newState, List<String> newExtremities,
                        Map<String, Integer> joinedServers, boolean partialState, boolean onStateAfter) {

        RoomSnapshot snapshot(Long stateGroup) {
            return new RoomSnapshot(advance.roomId(), advance.newStateVersion(), newState, newExtremities, stateGroup,
                    joinedServers, partialState);
        }
    }

    /**
     * Writes a new current state (only the slots that changed), memberships, extremities and
     * state version in one statement, and hands the cache the new snapshot for after commit.
     */
    private void moveCurrentState(RoomLock room, RoomSnapshot snapshot, RoomState newState, Long newGroup,
                                  List<String> newExtremities, List<String> removed, List<String> added,
                                  boolean replaceExtremities, boolean partialState) {
        Move move = planMove(room, snapshot, newState, false, newExtremities, removed, added, replaceExtremities,
                partialState, null);
        writes.advance(move.advance());
        cache.putAfterCommit(room.roomId(), move.snapshot(newGroup));
    }

    /** @param fresh the event being stored with the move, which the graph cannot read yet; or null */
    private Move planMove(RoomLock room, RoomSnapshot snapshot, RoomState newState, boolean onStateAfter,
                          List<String> newExtremities, List<String> removed, List<String> added,
                          boolean replaceExtremities, boolean partialState, Pdu fresh) {
        String roomId = room.roomId();
        Map<StateKey, String> changes = newState.diffFrom(snapshot.state());
        List<EventWrites.Membership> membershipChanges = new ArrayList<>();
        List<String> membershipRemovals = new ArrayList<>();
        List<String> memberEventIds = new ArrayList<>();
        boolean freshMember = false;
        for (Map.Entry<StateKey, String> change : changes.entrySet()) {
            if ("m.room.member".equals(change.getKey().type())) {
                String id = change.getValue();
                if (id == null) {
                    membershipRemovals.add(change.getKey().stateKey());
                } else if (fresh != null && id.equals(fresh.eventId())) {
                    freshMember = true;
                } else {
                    memberEventIds.add(id);
                }
            }
        }
        List<Pdu> members = new ArrayList<>(graph.events(memberEventIds).values());
        if (freshMember) {
            members.add(fresh);
        }
        for (Pdu member : members) {
            membershipChanges.add(new EventWrites.Membership(member.stateKey(), member.membership().orElse("leave"),
                    member.eventId(), member.sender()));
        }
        Map<String, Integer> joinedServers = new HashMap<>(snapshot.joinedServerCounts());
        countJoined(snapshot, changes, membershipChanges, joinedServers);
        room.bumpStateVersion();
        EventWrites.Advance advance = new EventWrites.Advance(roomId, removed, added, replaceExtremities, changes,
                membershipChanges, membershipRemovals, room.stateVersion());
        return new Move(advance, newState, newExtremities, Map.copyOf(joinedServers), partialState, onStateAfter);
    }

    /** Updates joined-members-per-server counts from the changed members only. */
    private void countJoined(RoomSnapshot before, Map<StateKey, String> changes, List<EventWrites.Membership> after,
                             Map<String, Integer> counts) {
        List<String> oldIds = new ArrayList<>();
        changes.keySet().forEach(k -> {
            if ("m.room.member".equals(k.type())) {
                String old = before.state().get(k);
                if (old != null) {
                    oldIds.add(old);
                }
            }
        });
        for (Pdu old : graph.events(oldIds).values()) {
            if ("join".equals(old.membership().orElse(null))) {
                counts.merge(Identifiers.serverOf(old.stateKey()).orElse(""), -1, Integer::sum);
            }
        }
        for (EventWrites.Membership m : after) {
            if ("join".equals(m.membership())) {
                counts.merge(Identifiers.serverOf(m.userId()).orElse(""), 1, Integer::sum);
            }
        }
        counts.values().removeIf(n -> n <= 0);
    }

    private static boolean isCreate(Pdu event) {
        return event.isStateOf("m.room.create", "");
    }

    /** Spec step 4: the auth rules with the event's auth events as the state. */
    AuthResult checkAgainstAuthEvents(Pdu event, Map<String, Pdu> authEvents) {
        for (String id : authEvents.keySet()) {
            if (graph.isRejected(id)) {
                // Auth rule: none of the auth events may have been rejected themselves.
                return AuthResult.reject("auth events", "auth event " + id + " was itself rejected");
            }
        }
        List<Pdu> list = new ArrayList<>(authEvents.values());
        AuthResult listResult = AuthRules.checkAuthEventsList(event, list);
        if (!listResult.allowed()) {
            return listResult;
        }
        Map<StateKey, Pdu> state = new HashMap<>();
        for (Pdu a : list) {
            if (a.isState()) {
                state.put(StateKey.of(a), a);
            }
        }
        addCreateForV12(event, state);
        return AuthRules.check(event, state);
    }

    /** Spec steps 5 and 6: the auth rules with a room state (before the event, or current). */
    public AuthResult checkAgainstState(Pdu event, RoomState state) {
        Map<StateKey, Pdu> authState = graph.stateEvents(state, authKeys(event));
        addCreateForV12(event, authState);
        return AuthRules.check(event, authState);
    }

    private static Collection<StateKey> authKeys(Pdu event) {
        List<StateKey> keys = new ArrayList<>(AuthEventSelection.select(event.roomVersion(), event.type(),
                event.stateKey() == null ? "" : event.stateKey(), event.sender(), event.content()));
        if (!keys.contains(StateKey.CREATE)) {
            keys.add(StateKey.CREATE);
        }
        return keys;
    }

    private void addCreateForV12(Pdu event, Map<StateKey, Pdu> state) {
        if (event.roomVersion().roomIdIsCreateEventHash() && !state.containsKey(StateKey.CREATE) && !isCreate(event)) {
            graph.event("$" + event.roomId().substring(1)).ifPresent(c -> state.put(StateKey.CREATE, c));
        }
    }
}
