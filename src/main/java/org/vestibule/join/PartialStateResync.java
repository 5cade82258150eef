package org.vestibule.join;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.vestibule.auth.AuthResult;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.federation.PduChecks;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventPersister;
import org.vestibule.room.PartialStateRooms;
import org.vestibule.room.RoomState;

/**
 * Completes partial-state joins in the background (MSC3706): the state before our join from
 * {@code /state_ids}, asked of the resident that answered send_join and then of the other
 * servers it named; the events we lack fetched and checked like send_join's state events, stored
 * as outliers; then {@link EventPersister#installFullState} rebases the room in one transaction.
 * Failures retry with exponential backoff; the room stays usable, with partial state, meanwhile.
 */
@Component
class PartialStateResync implements DisposableBean, ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(PartialStateResync.class);

    /** The most state (or auth chain) event IDs we accept from one server. */
    static final int MAX_STATE_IDS = 100_000;
    /**
     * Concurrent /event requests (and threads checking signatures); past {@link #BULK_FETCH}
     * missing events one /state request is cheaper.
     */
    static final int FETCH_CONCURRENCY = 4;
    static final int BULK_FETCH = 50;
    private static final long MIN_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 10 * 60 * 1000;

    private final PartialStateRooms partialRooms;
    private final EventPersister persister;
    private final EventGraph graph;
    private final PduChecks checks;
    private final FederationClient client;
    private final ServerKeyring keyring;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService resyncs = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "partial-state-resync");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService fetchers = Executors.newFixedThreadPool(FETCH_CONCURRENCY, r -> {
        Thread t = new Thread(r, "partial-state-fetch");
        t.setDaemon(true);
        return t;
    });
    // Tests hold a resync here to see the room while it is still partial.
    private volatile CountDownLatch hold;

    PartialStateResync(PartialStateRooms partialRooms, EventPersister persister, EventGraph graph, PduChecks checks,
                       FederationClient client, ServerKeyring keyring) {
        this.partialRooms = partialRooms;
        this.persister = persister;
        this.graph = graph;
        this.checks = checks;
        this.client = client;
        this.keyring = keyring;
    }

    /** Resumes the rooms still flagged when the server last stopped. */
    @Override
    public void onApplicationEvent(ApplicationReadyEvent ready) {
        resumeAll();
    }

    void resumeAll() {
        partialRooms.all().forEach(e -> start(e.roomId()));
    }

    /** Starts the room's resync once the current transaction (which flags the room) commits. */
    void startAfterCommit(String roomId) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            start(roomId);
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                start(roomId);
            }
        });
    }

    void start(String roomId) {
        if (running.add(roomId)) {
            resyncs.execute(() -> attempt(roomId, 0));
        }
    }

    /** Test hook: resyncs wait for the latch (at most a few minutes) before they fetch anything. */
    void holdUntil(CountDownLatch latch) {
        this.hold = latch;
    }

    private void attempt(String roomId, int failures) {
        try {
            CountDownLatch latch = hold;
            if (latch != null) {
                latch.await(5, TimeUnit.MINUTES);
            }
            resync(roomId);
            running.remove(roomId);
        } catch (InterruptedException e) {
            running.remove(roomId);
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            long backoff = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(failures, 20));
            log.warn("Fetching the full state of {} failed (attempt {}), retrying in {} ms: {}", roomId, failures + 1,
                    backoff, e.toString());
            if (resyncs.isShutdown()) {
                running.remove(roomId);
                return;
            }
            resyncs.schedule(() -> attempt(roomId, failures + 1), backoff, TimeUnit.MILLISECONDS);
        }
    }

    /** One pass over the servers that may have the full state; throws when none gave it. */
    private void resync(String roomId) {
        PartialStateRooms.Entry entry = partialRooms.find(roomId).orElse(null);
        if (entry == null) {
            return;
        }
        RoomVersion version = graph.roomVersion(roomId).orElseThrow();
        List<String> problems = new ArrayList<>();
        for (String server : entry.servers()) {
            if (keyring.isOurs(server)) {
                continue;
            }
            try {
                // The room's whole state stays counted in the response memory until it is installed.
                try (FederationClient.HeldAnswers held = client.holdAnswers()) {
                    Map<StateKey, String> state = fetchState(server, roomId, entry.joinEventId(), version);
                    if (!persister.installFullState(roomId, entry.joinEventId(), state)) {
                        log.info("{} was no longer partial when its full state arrived", roomId);
                    }
                }
                return;
            } catch (FederationException | IllegalArgumentException e) {
                log.info("Full state of {} from {} failed: {}", roomId, server, e.getMessage());
                problems.add(server + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("no server gave the full state: " + problems);
    }

    /** The state before our join as {@code server} has it, every event of it stored and checked. */
    private Map<StateKey, String> fetchState(String server, String roomId, String joinEventId, RoomVersion version) {
        String query = FederationClient.pathSegment(roomId) + "?event_id=" + FederationClient.pathSegment(joinEventId);
        Map<String, Object> ids = client.get(server, "/_matrix/federation/v1/state_ids/" + query).object();
        List<String> stateIds = strings(ids, "pdu_ids");
        List<String> chainIds = strings(ids, "auth_chain_ids");
        Set<String> wanted = new LinkedHashSet<>(stateIds);
        wanted.addAll(chainIds);
        Set<String> missing = new HashSet<>(wanted);
        missing.removeAll(graph.events(wanted).keySet());

        List<Object> fetched = new ArrayList<>();
        if (missing.size() > BULK_FETCH) {
            Map<String, Object> answer = client.get(server, "/_matrix/federation/v1/state/" + query).object();
            fetched.addAll(Json.list(answer, "pdus"));
            fetched.addAll(Json.list(answer, "auth_chain"));
        } else if (!missing.isEmpty()) {
            List<Future<List<Object>>> calls = new ArrayList<>();
            for (String id : missing) {
                calls.add(fetchers.submit(() -> Json.list(client.get(server, "/_matrix/federation/v1/event/"
                        + FederationClient.pathSegment(id)).object(), "pdus")));
            }
            for (Future<List<Object>> call : calls) {
                fetched.addAll(await(call));
            }
        }
        List<Pdu> checked = new ArrayList<>();
        int dropped = 0;
        for (PduChecks.Result r : checkAll(server, fetched, version)) {
            if (r == null) {
                continue;
            }
            if (r instanceof PduChecks.Result.Accepted a && roomId.equals(a.pdu().roomId())) {
                if (missing.remove(a.pdu().eventId())) {
                    checked.add(a.pdu());
                }
            } else {
                dropped++;
                if (r instanceof PduChecks.Result.Dropped d) {
                    log.info("Dropping {} from {}'s state of {}: {}", d.eventId(), server, roomId, d.reason());
                }
            }
        }
        Set<String> unstorable = persister.persistOutliers(checked);
        if (dropped > 0 || !unstorable.isEmpty() || !missing.isEmpty()) {
            log.info("Full state of {} from {}: left out {} events that failed their checks, {} whose auth events "
                    + "are unavailable, {} not sent", roomId, server, dropped, unstorable.size(), missing.size());
        }

        Map<StateKey, String> state = new HashMap<>();
        for (Pdu p : graph.events(stateIds).values()) {
            if (p.isState() && roomId.equals(p.roomId()) && !graph.isRejected(p.eventId())) {
                state.put(StateKey.of(p), p.eventId());
            }
        }
        String create = state.get(StateKey.CREATE);
        String ourCreate = graph.stateBefore(joinEventId).map(s -> s.get(StateKey.CREATE)).orElse(null);
        if (create == null || !create.equals(ourCreate)) {
            throw new IllegalArgumentException("the state has no create event, or another one than the room's");
        }
        // The partial state allowed our join; a full state that does not is not one to trust.
        Pdu join = graph.event(joinEventId).orElseThrow();
        if (persister.checkAgainstState(join, RoomState.of(state)) instanceof AuthResult.Rejected r) {
            throw new IllegalArgumentException("the state does not allow our join: " + r.reason());
        }
        return state;
    }

    /**
     * Format, hash and signature checks of every fetched event, on the fetch threads: for a big
     * room they are most of the resync's time. Null for what is not a JSON object.
     */
    private List<PduChecks.Result> checkAll(String server, List<Object> fetched, RoomVersion version) {
        int chunk = Math.max(1, (fetched.size() + FETCH_CONCURRENCY - 1) / FETCH_CONCURRENCY);
        List<Future<List<PduChecks.Result>>> parts = new ArrayList<>();
        for (int from = 0; from < fetched.size(); from += chunk) {
            List<Object> part = fetched.subList(from, Math.min(fetched.size(), from + chunk));
            parts.add(fetchers.submit(() -> {
                List<PduChecks.Result> out = new ArrayList<>(part.size());
                for (Object o : part) {
                    @SuppressWarnings("unchecked")
                    PduChecks.Result r = o instanceof Map<?, ?> m ? checks.check((Map<String, Object>) m, version, server) : null;
                    out.add(r);
                }
                return out;
            }));
        }
        List<PduChecks.Result> all = new ArrayList<>(fetched.size());
        for (Future<List<PduChecks.Result>> part : parts) {
            all.addAll(await(part));
        }
        return all;
    }

    private static <T> T await(Future<T> call) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static List<String> strings(Map<String, Object> answer, String key) {
        List<Object> raw = Json.list(answer, key);
        if (raw.size() > MAX_STATE_IDS) {
            throw new IllegalArgumentException(key + " lists " + raw.size() + " events, more than the "
                    + MAX_STATE_IDS + " we accept");
        }
        List<String> out = new ArrayList<>(raw.size());
        for (Object o : raw) {
            if (o instanceof String s) {
                out.add(s);
            }
        }
        return out;
    }

    @Override
    public void destroy() {
        resyncs.shutdownNow();
        fetchers.shutdownNow();
    }
}
