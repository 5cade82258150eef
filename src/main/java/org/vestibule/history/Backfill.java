package org.vestibule.history;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.federation.PduChecks;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.BackwardExtremities;
import org.vestibule.room.BackwardExtremities.Extremity;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventPersister;
import org.vestibule.room.EventVisibility;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.PartialStateRooms;
import org.vestibule.room.RoomJoinServers;
import org.vestibule.room.RoomSnapshot;

/**
 * Fetching a room's older history from other servers (spec server-server §Backfilling) when a
 * client pages back past what we hold: {@code GET /backfill} from the room's backwards extremities,
 * asking the resident we joined through first, then the other servers in the room, each within
 * {@link HistoryProperties#timeout()}. Every returned event gets the checks of a received PDU
 * (format, hashes and signatures with the answering server as peer; auth against its auth events,
 * fetched when missing, and against the state before it, from its prev_events or /state_ids), and
 * is stored as backfilled history: in the graph, never in the current state or extremities.
 *
 * <p>A server that times out, fails or answers nothing usable is passed over for the rest of the
 * page and, in memory, for a while ({@link HistoryProperties#failureBackoff()}, doubling); a point
 * we backfilled from without getting it waits longer each time (kept in the database).
 */
@Service
public class Backfill {

    private static final Logger log = LoggerFactory.getLogger(Backfill.class);

    /** Backwards extremities named in one /backfill request (Synapse asks from at most 5). */
    static final int MAX_POINTS = 5;
    /** Single events fetched with /event for one batch (missing auth events, a state's missing events). */
    static final int MAX_EVENT_FETCHES = 20;
    /** /state_ids requests for one batch: events whose prev_events we lack. */
    static final int MAX_STATE_FETCHES = 3;
    private static final long MAX_BACKOFF_MS = 3_600_000;

    /**
     * What one page of a client's may still spend on backfill: requests, and the servers and
     * points that already came to nothing.
     */
    public static final class Budget {
        private int requests;
        private final Set<String> failedServers = new HashSet<>();
        private final Set<String> fruitlessPoints = new HashSet<>();

        Budget(int requests) {
            this.requests = requests;
        }

        public boolean spent() {
            return requests <= 0;
        }
    }

    private record Failure(int count, long untilMs) {}

    private final HistoryProperties properties;
    private final FederationClient client;
    private final PduChecks checks;
    private final EventGraph graph;
    private final EventPersister persister;
    private final EventVisibility visibility;
    private final BackwardExtremities extremities;
    private final RoomJoinServers joinServers;
    private final PartialStateRooms partialRooms;
    private final LocalEvents localEvents;
    private final ServerKeyring keyring;
    private final Clock clock;
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();

    Backfill(HistoryProperties properties, FederationClient client, PduChecks checks, EventGraph graph,
             EventPersister persister, EventVisibility visibility, BackwardExtremities extremities,
             RoomJoinServers joinServers, PartialStateRooms partialRooms, LocalEvents localEvents,
             ServerKeyring keyring, Clock clock) {
        this.properties = properties;
        this.client = client;
        this.checks = checks;
        this.graph = graph;
        this.persister = persister;
        this.visibility = visibility;
        this.extremities = extremities;
        this.joinServers = joinServers;
        this.partialRooms = partialRooms;
        this.localEvents = localEvents;
        this.keyring = keyring;
        this.clock = clock;
    }

    /** A fresh budget for one page. */
    public Budget budget() {
        return new Budget(properties.requestsPerPage());
    }

    /**
     * Whether the room has history we lack (backwards extremities): a page that ends at the
     * earliest event we hold may go on, the next one backfilling.
     */
    public boolean mayHaveMore(String roomId) {
        return extremities.anyAtOrBelow(roomId, Long.MAX_VALUE);
    }

    /**
     * Backfills the history a page reaching down to {@code floorDepth} would show: from the
     * backwards extremities whose successors are deeper than that, through the first server that
     * brings something. Returns how many events were stored (0: nothing more to be had now).
     */
    public int fill(String roomId, long floorDepth, Budget budget) {
        if (budget.spent()) {
            return 0;
        }
        RoomVersion version = graph.roomVersion(roomId).orElse(null);
        if (version == null) {
            return 0;
        }
        long now = clock.millis();
        List<String> points = new ArrayList<>();
        for (Extremity e : extremities.deeperThan(roomId, floorDepth, 10 * MAX_POINTS)) {
            if (points.size() == MAX_POINTS) {
                break;
            }
            if (!budget.fruitlessPoints.contains(e.eventId()) && !waiting(e, now) && worthFetching(roomId, e)) {
                points.add(e.eventId());
            }
        }
        if (points.isEmpty() || extremities.backfilledCount(roomId) >= properties.maxEventsPerRoom()) {
            return 0;
        }
        for (String server : servers(roomId)) {
            if (budget.spent()) {
                break;
            }
            if (budget.failedServers.contains(server) || backingOff(server, now)) {
                continue;
            }
            budget.requests--;
            long started = clock.millis();
            try {
                int stored = backfillFrom(server, roomId, version, points, started + properties.timeout().toMillis());
                if (stored > 0) {
                    failures.remove(server);
                    log.info("Backfilled {} events of {} from {} in {} ms", stored, roomId, server,
                            clock.millis() - started);
                    return stored;
                }
                log.info("Backfill of {} from {} brought nothing new", roomId, server);
            } catch (FederationException | BackfillTimeout e) {
                log.info("Backfill of {} from {} failed: {}", roomId, server, e.getMessage());
                failed(server);
            } catch (RuntimeException e) {
                log.warn("Backfill of {} from {} failed", roomId, server, e);
                failed(server);
            }
            budget.failedServers.add(server);
        }
        budget.fruitlessPoints.addAll(points);
        extremities.attempted(roomId, points, clock.millis());
        return 0;
    }

    /** A point backfilled from before without bringing it waits longer each time. */
    private boolean waiting(Extremity e, long now) {
        if (e.attempts() == 0 || e.lastAttemptTs() == null) {
            return false;
        }
        long wait = Math.min(MAX_BACKOFF_MS, properties.failureBackoff().toMillis() << Math.min(20, e.attempts() - 1));
        return now < e.lastAttemptTs() + wait;
    }

    /**
     * History before a point is worth fetching only when one of our users could see it: judged by
     * the state before the point's successors (spec client-server §Room History Visibility; a
     * joined-only room holds nothing for a new member from before they joined).
     */
    private boolean worthFetching(String roomId, Extremity e) {
        List<String> successors = extremities.successors(roomId, e.eventId());
        if (successors.isEmpty()) {
            return true;
        }
        for (String s : successors) {
            if (visibility.serverMaySeeBefore(keyring.serverName(), s)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The servers to ask, in order: the resident we joined through, the servers a partial-state
     * join named, then the servers with joined members, most members first. Never ourselves.
     */
    List<String> servers(String roomId) {
        LinkedHashSet<String> servers = new LinkedHashSet<>();
        joinServers.find(roomId).ifPresent(servers::add);
        servers.addAll(partialRooms.extraServers(roomId));
        RoomSnapshot snapshot = localEvents.findSnapshot(roomId).orElse(null);
        if (snapshot != null) {
            snapshot.joinedServerCounts().entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .forEach(e -> servers.add(e.getKey()));
        }
        servers.removeIf(keyring::isOurs);
        return new ArrayList<>(servers);
    }

    private boolean backingOff(String server, long now) {
        Failure f = failures.get(server);
        return f != null && now < f.untilMs();
    }

    private void failed(String server) {
        failures.compute(server, (k, f) -> {
            int count = f == null ? 1 : f.count() + 1;
            long wait = Math.min(MAX_BACKOFF_MS, properties.failureBackoff().toMillis() << Math.min(20, count - 1));
            return new Failure(count, clock.millis() + wait);
        });
    }

    /** One /backfill request to one server, its events checked and stored; how many were. */
    private int backfillFrom(String server, String roomId, RoomVersion version, List<String> points, long deadline) {
        StringBuilder path = new StringBuilder("/_matrix/federation/v1/backfill/" + FederationClient.pathSegment(roomId)
                + "?limit=" + properties.backfillLimit());
        for (String p : points) {
            path.append("&v=").append(FederationClient.pathSegment(p));
        }
        Map<String, Object> answer = client.get(server, path.toString(), left(deadline)).object();
        List<Object> raw = Json.list(answer, "pdus");
        Map<String, Pdu> events = new LinkedHashMap<>();
        int dropped = 0;
        // A server answering more than it was asked gets read no further.
        for (Object o : raw.subList(0, Math.min(raw.size(), properties.backfillLimit()))) {
            Pdu p = checked(server, o, version, roomId, true);
            if (p == null) {
                dropped++;
            } else {
                events.putIfAbsent(p.eventId(), p);
            }
        }
        if (dropped > 0) {
            log.info("Left out {} of {} events {} backfilled in {}: badly formed, signed or not of the room", dropped,
                    raw.size(), server, roomId);
        }
        Set<String> refs = new HashSet<>(events.keySet());
        events.values().forEach(p -> refs.addAll(p.prevEvents()));
        Set<String> placed = graph.inGraph(refs);
        events.keySet().removeAll(placed);
        if (events.isEmpty()) {
            return 0;
        }
        List<Pdu> ordered = predecessorsFirst(events);
        fetchMissingAuthEvents(server, roomId, version, ordered, deadline);

        Set<String> available = new HashSet<>(placed);
        available.addAll(events.keySet());
        Map<String, Map<StateKey, String>> stateBefore = new HashMap<>();
        int stateFetches = 0;
        for (Pdu p : ordered) {
            if (available.containsAll(p.prevEvents()) || p.prevEvents().isEmpty()) {
                continue;
            }
            if (stateFetches++ == MAX_STATE_FETCHES) {
                break;
            }
            Map<StateKey, String> state = stateAt(server, roomId, version, p.eventId(), deadline);
            if (state != null) {
                stateBefore.put(p.eventId(), state);
            }
        }
        EventPersister.Backfilled result = persister.persistBackfilled(roomId, ordered, stateBefore);
        if (!result.skipped().isEmpty() || !result.rejected().isEmpty()) {
            log.info("Backfill of {} from {}: {} stored ({} rejected), {} left out for want of auth events or state",
                    roomId, server, result.stored().size(), result.rejected().size(), result.skipped().size());
        }
        return result.stored().size();
    }

    /** Events ordered so that every event comes after those of the batch it names (prev or auth), shallowest first. */
    private static List<Pdu> predecessorsFirst(Map<String, Pdu> events) {
        Map<String, Integer> blockers = new HashMap<>();
        Map<String, List<Pdu>> waiting = new HashMap<>();
        PriorityQueue<Pdu> ready = new PriorityQueue<>(Comparator.comparingLong(Pdu::depth).thenComparing(Pdu::eventId));
        for (Pdu p : events.values()) {
            Set<String> deps = new HashSet<>(p.prevEvents());
            deps.addAll(p.authEvents());
            deps.retainAll(events.keySet());
            deps.remove(p.eventId());
            if (deps.isEmpty()) {
                ready.add(p);
            } else {
                blockers.put(p.eventId(), deps.size());
                deps.forEach(d -> waiting.computeIfAbsent(d, k -> new ArrayList<>()).add(p));
            }
        }
        List<Pdu> out = new ArrayList<>(events.size());
        while (!ready.isEmpty()) {
            Pdu p = ready.poll();
            out.add(p);
            for (Pdu next : waiting.getOrDefault(p.eventId(), List.of())) {
                if (blockers.merge(next.eventId(), -1, Integer::sum) == 0) {
                    ready.add(next);
                }
            }
        }
        return out; // events on a cycle (possible only with room versions 1 and 2) are left out
    }

    /** Auth events the batch names that we lack: one by one with /event when few, else /event_auth. */
    private void fetchMissingAuthEvents(String server, String roomId, RoomVersion version, List<Pdu> ordered,
                                        long deadline) {
        Set<String> batch = new HashSet<>();
        ordered.forEach(p -> batch.add(p.eventId()));
        Map<String, List<Pdu>> neededBy = new LinkedHashMap<>();
        for (Pdu p : ordered) {
            for (String a : p.authEvents()) {
                if (!batch.contains(a)) {
                    neededBy.computeIfAbsent(a, k -> new ArrayList<>()).add(p);
                }
            }
        }
        Set<String> missing = new LinkedHashSet<>(neededBy.keySet());
        missing.removeAll(graph.known(missing));
        if (missing.isEmpty()) {
            return;
        }
        List<Pdu> fetched = new ArrayList<>();
        if (missing.size() <= MAX_EVENT_FETCHES) {
            for (String id : missing) {
                fetched.addAll(fetchEvent(server, roomId, version, id, deadline));
            }
        } else {
            Set<String> askedFor = new LinkedHashSet<>();
            for (String id : missing) {
                askedFor.add(neededBy.get(id).get(0).eventId());
            }
            for (String eventId : askedFor.stream().limit(MAX_STATE_FETCHES).toList()) {
                Map<String, Object> answer = client.get(server, "/_matrix/federation/v1/event_auth/"
                        + FederationClient.pathSegment(roomId) + "/" + FederationClient.pathSegment(eventId),
                        left(deadline)).object();
                fetched.addAll(checkedAll(server, Json.list(answer, "auth_chain"), version, roomId));
            }
        }
        Set<String> left = persister.persistOutliers(fetched);
        if (!left.isEmpty()) {
            log.info("{} auth events from {} for backfill of {} lack auth events of their own", left.size(), server, roomId);
        }
    }

    /**
     * The state before an event as the server has it (/state_ids), its events we lack fetched
     * (/event when few, else /state) and stored as outliers; null when that failed.
     */
    private Map<StateKey, String> stateAt(String server, String roomId, RoomVersion version, String eventId,
                                          long deadline) {
        String query = FederationClient.pathSegment(roomId) + "?event_id=" + FederationClient.pathSegment(eventId);
        Map<String, Object> ids;
        try {
            ids = client.get(server, "/_matrix/federation/v1/state_ids/" + query, left(deadline)).object();
        } catch (FederationException e) {
            log.info("The state at {} from {} for backfill: {}", eventId, server, e.getMessage());
            return null;
        }
        List<String> stateIds = strings(Json.list(ids, "pdu_ids"));
        Set<String> wanted = new LinkedHashSet<>(stateIds);
        wanted.addAll(strings(Json.list(ids, "auth_chain_ids")));
        Set<String> missing = new LinkedHashSet<>(wanted);
        missing.removeAll(graph.known(wanted));
        List<Pdu> fetched = new ArrayList<>();
        if (missing.size() <= MAX_EVENT_FETCHES) {
            for (String id : missing) {
                fetched.addAll(fetchEvent(server, roomId, version, id, deadline));
            }
        } else {
            Map<String, Object> state = client.get(server, "/_matrix/federation/v1/state/" + query, left(deadline)).object();
            List<Object> all = new ArrayList<>(Json.list(state, "pdus"));
            all.addAll(Json.list(state, "auth_chain"));
            for (Pdu p : checkedAll(server, all, version, roomId)) {
                if (missing.contains(p.eventId())) {
                    fetched.add(p);
                }
            }
        }
        persister.persistOutliers(fetched);
        Map<StateKey, String> state = new HashMap<>();
        for (Pdu p : graph.events(stateIds).values()) {
            if (p.isState() && roomId.equals(p.roomId()) && !graph.isRejected(p.eventId())) {
                state.put(StateKey.of(p), p.eventId());
            }
        }
        if (!state.containsKey(StateKey.CREATE)) {
            log.info("The state at {} from {} has no create event we could check; not placing it", eventId, server);
            return null;
        }
        return state;
    }

    private List<Pdu> fetchEvent(String server, String roomId, RoomVersion version, String eventId, long deadline) {
        try {
            Map<String, Object> answer = client.get(server, "/_matrix/federation/v1/event/"
                    + FederationClient.pathSegment(eventId), left(deadline)).object();
            List<Pdu> out = new ArrayList<>();
            for (Pdu p : checkedAll(server, Json.list(answer, "pdus"), version, roomId)) {
                if (p.eventId().equals(eventId)) {
                    out.add(p);
                }
            }
            return out;
        } catch (FederationException e) {
            log.info("Fetching {} from {} for backfill failed: {}", eventId, server, e.getMessage());
            return List.of();
        }
    }

    private List<Pdu> checkedAll(String server, Collection<Object> raw, RoomVersion version, String roomId) {
        List<Pdu> out = new ArrayList<>();
        for (Object o : raw) {
            Pdu p = checked(server, o, version, roomId, false);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    /** The spec's first checks on a received PDU, with the answering server as peer; null when dropped. */
    private Pdu checked(String server, Object raw, RoomVersion version, String roomId, boolean history) {
        if (!(raw instanceof Map<?, ?> m)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) m;
        PduChecks.Result r = history ? checks.checkHistory(json, version, server) : checks.check(json, version, server);
        if (r instanceof PduChecks.Result.Accepted a && roomId.equals(a.pdu().roomId())) {
            return a.pdu();
        }
        if (r instanceof PduChecks.Result.Dropped d) {
            log.debug("Dropping {} from {}: {}", d.eventId(), server, d.reason());
        }
        return null;
    }

    private static List<String> strings(List<Object> values) {
        List<String> out = new ArrayList<>();
        for (Object o : values) {
            if (o instanceof String s) {
                out.add(s);
            }
        }
        return out;
    }

    private Duration left(long deadline) {
        long ms = deadline - clock.millis();
        if (ms <= 0) {
            throw new BackfillTimeout();
        }
        return Duration.ofMillis(ms);
    }

    /** The server's time for this backfill ran out between its requests. */
    private static final class BackfillTimeout extends RuntimeException {
        BackfillTimeout() {
            super("the time for this backfill ran out", null, false, false);
        }
    }
}
