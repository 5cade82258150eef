package org.vestibule.federation.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventRelay;
import org.vestibule.room.ServerAcls;

/**
 * The durable per-destination queue of outgoing PDUs and EDUs: PDU rows written with the event,
 * sent in order in transactions of at most {@value #BATCH} PDUs and {@value #MAX_EDUS} EDUs,
 * retried with exponential backoff, resumed after a restart. EDUs ride along with the PDUs, or go
 * alone when no PDU waits, and never hold a PDU back; receipts are kept until acknowledged, typing
 * and presence are best effort ({@link OutboundEdu}). A lease on each destination keeps several app
 * instances from sending the same batch.
 * Nothing of a room, PDU or EDU, is queued to a server its server ACL denies (for PDUs as of the
 * state after the event).
 */
@Component
public class TransactionQueue implements EventRelay, ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(TransactionQueue.class);
    static final int BATCH = 50;
    /** Spec server-server §Transactions: at most 100 EDUs in a transaction. */
    static final int MAX_EDUS = 100;
    static final long MIN_BACKOFF_MS = 2_000;
    private static final long MAX_BACKOFF_MS = 60 * 60 * 1000;
    private static final long LEASE_MS = 120_000;
    static final String OWNED_NAME = "vestibule-";

    private final JdbcTemplate jdbc;
    private final EventGraph graph;
    private final ServerKeyring keyring;
    private final TransactionSender sender;
    private final OutboundEdus edus;
    private final MeterRegistry meters;
    private final Clock clock;
    private final ServerAcls acls;
    // "<our connections' application_name>/<uuid>": unique per queue, and dead once that name is gone.
    private final String instanceId;
    // Peers remember (origin, txnId) and answer a repeat from their cache without reading it, so
    // IDs must not repeat after a restart or a database wipe: this process's start time leads them.
    private final String txnPrefix;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    // Destinations woken since their sender last looked at the queue.
    private final Set<String> woken = ConcurrentHashMap.newKeySet();
    // Destinations backing off, with the time their last attempt failed: a request from one says it is up.
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "federation-sender");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "federation-retry");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean stopped;

    TransactionQueue(JdbcTemplate jdbc, EventGraph graph, ServerKeyring keyring,
                     TransactionSender sender, MeterRegistry meters, Clock clock, ServerAcls acls) {
        this.acls = acls;
        this.jdbc = jdbc;
        this.graph = graph;
        this.keyring = keyring;
        this.sender = sender;
        this.edus = new OutboundEdus(jdbc);
        this.meters = meters;
        this.clock = clock;
        this.txnPrefix = Long.toString(clock.millis(), 36);
        this.instanceId = connectionName(jdbc) + "/" + UUID.randomUUID();
    }

    /**
     * The application_name every connection of this process carries (application.properties gives
     * each process its own), if it is ours: a lease whose owner's name no session has any more is a
     * stopped server's, taken over at once instead of when it expires. Any other name: leases expire.
     */
    private static String connectionName(JdbcTemplate jdbc) {
        String name = jdbc.queryForObject("select current_setting('application_name')", String.class);
        return name != null && name.startsWith(OWNED_NAME) && !name.contains("/") ? name : "unnamed";
    }

    @Override
    public void relay(Pdu event, Collection<String> joinedServers, Set<String> except) {
        Set<String> destinations = new LinkedHashSet<>(joinedServers);
        if ("m.room.member".equals(event.type())) {
            // A kicked, banned or invited server must hear of it too, though it has no joined member now.
            Identifiers.serverOf(event.stateKey()).ifPresent(destinations::add);
        }
        destinations.remove(keyring.serverName());
        destinations.removeAll(except);
        // Called in the transaction that stored the event, so the room's ACL is the one after it.
        Predicate<String> allowed = acls.relaysTo(event);
        if (destinations.removeIf(allowed.negate())) {
            log.debug("Not sending {} to servers that the server ACL of {} denies", event.eventId(), event.roomId());
        }
        if (destinations.isEmpty()) {
            return;
        }
        long now = clock.millis();
        List<Object[]> rows = new ArrayList<>();
        for (String d : destinations) {
            rows.add(new Object[] {d, event.eventId(), event.roomId(), now});
        }
        jdbc.batchUpdate("insert into federation_outbound_pdus (destination, event_id, room_id, queued_ts) values (?, ?, ?, ?)",
                rows);
        for (String d : destinations) {
            jdbc.update("insert into federation_destinations (destination) values (?) on conflict do nothing", d);
        }
        afterCommit(() -> destinations.forEach(this::wake));
    }

    /**
     * Queues an EDU for each destination (ours left out), in the caller's transaction when there
     * is one, and starts sending once that commits.
     */
    public void queueEdu(Collection<String> destinations, OutboundEdu edu) {
        Set<String> to = new LinkedHashSet<>(destinations);
        to.remove(keyring.serverName());
        if (to.isEmpty()) {
            return;
        }
        edus.queue(to, edu, clock.millis());
        for (String d : to) {
            jdbc.update("insert into federation_destinations (destination) values (?) on conflict do nothing", d);
        }
        afterCommit(() -> to.forEach(this::wake));
    }

    /** Queues an EDU of a room (typing, a receipt) to its servers but those the room's server ACL denies. */
    public void queueRoomEdu(String roomId, Collection<String> destinations, OutboundEdu edu) {
        queueEdu(destinations.stream().filter(d -> acls.allows(d, roomId)).toList(), edu);
    }

    /** Resumes every destination with queued PDUs or EDUs (after a restart). */
    @Override
    public void onApplicationEvent(ApplicationReadyEvent ready) {
        resume();
    }

    public void resume() {
        jdbc.query("select destination, retry_at_ts - backoff_ms from federation_destinations where retry_at_ts > ?",
                rs -> {
                    failedAt.putIfAbsent(rs.getString(1), rs.getLong(2));
                }, clock.millis());
        Set<String> destinations = new LinkedHashSet<>(jdbc.queryForList(
                "select distinct destination from federation_outbound_pdus", String.class));
        destinations.addAll(edus.destinations());
        destinations.forEach(this::wake);
    }

    /**
     * A destination backing off has just sent us an authenticated request, so it is up again: retry it
     * now instead of at the end of its backoff, which after an hour down is another hour (Synapse does
     * the same). Not sooner than the shortest backoff after a failure, so a peer that can reach us but
     * not we it is tried at most that often. Costs one map lookup for a destination not backing off.
     */
    public void peerIsUp(String destination) {
        Long failed = failedAt.get(destination);
        if (failed == null || clock.millis() - failed < MIN_BACKOFF_MS || !failedAt.remove(destination, failed)) {
            return;
        }
        jdbc.update("update federation_destinations set retry_at_ts = 0 where destination = ? and retry_at_ts > 0",
                destination);
        log.info("{} sent us a request while we were backing off from it; retrying now", destination);
        wake(destination);
    }

    /** Starts sending to a destination unless a sender is already on it or it is backing off. */
    public void wake(String destination) {
        if (stopped) {
            return;
        }
        woken.add(destination);
        if (!running.add(destination)) {
            return; // the running sender sees the wake flag before it stops
        }
        workers.execute(() -> {
            try {
                while (woken.remove(destination) && !stopped) {
                    drain(destination);
                }
            } catch (RuntimeException e) {
                log.warn("Sending to {} failed unexpectedly", destination, e);
            } finally {
                running.remove(destination);
                if (woken.contains(destination)) {
                    wake(destination);
                }
            }
        });
    }

    private void drain(String destination) {
        while (!stopped) {
            long now = clock.millis();
            Long retryAt = jdbc.query("select retry_at_ts from federation_destinations where destination = ?",
                    rs -> rs.next() ? rs.getLong(1) : null, destination);
            if (retryAt != null && retryAt > now) {
                schedule(destination, retryAt - now);
                return;
            }
            if (!claim(destination, now)) {
                schedule(destination, LEASE_MS);
                return;
            }
            List<Object[]> batch = jdbc.query("select id, event_id from federation_outbound_pdus where destination = ? "
                    + "order by id limit " + BATCH, (rs, n) -> new Object[] {rs.getLong(1), rs.getString(2)}, destination);
            List<OutboundEdus.Queued> eduBatch = edus.next(destination, MAX_EDUS, now);
            if (batch.isEmpty() && eduBatch.isEmpty()) {
                release(destination);
                return;
            }
            List<Long> rowIds = batch.stream().map(r -> (Long) r[0]).toList();
            List<String> ids = batch.stream().map(r -> (String) r[1]).toList();
            Map<String, Pdu> events = graph.events(new HashSet<>(ids));
            List<Object> pdus = new ArrayList<>();
            for (String id : new LinkedHashSet<>(ids)) {
                Pdu p = events.get(id);
                if (p != null) {
                    pdus.add(p.json());
                }
            }
            Map<String, Object> txn = new LinkedHashMap<>();
            txn.put("origin", keyring.serverName());
            txn.put("origin_server_ts", clock.millis());
            txn.put("pdus", pdus);
            txn.put("edus", eduBatch.stream().map(OutboundEdus.Queued::json).toList());
            String txnId = transactionId(rowIds, eduBatch);
            try {
                sender.send(destination, txnId, txn);
                if (!rowIds.isEmpty()) {
                    // By ID: a row with a lower ID whose transaction committed after we read the batch is not sent yet.
                    jdbc.update("delete from federation_outbound_pdus where destination = ? and id in ("
                            + String.join(", ", Collections.nCopies(rowIds.size(), "?")) + ")", ps -> {
                                ps.setString(1, destination);
                                for (int i = 0; i < rowIds.size(); i++) {
                                    ps.setLong(i + 2, rowIds.get(i));
                                }
                            });
                }
                edus.delivered(destination, eduBatch);
                jdbc.update("update federation_destinations set retry_at_ts = 0, backoff_ms = 0, failures = 0, "
                        + "last_error = null where destination = ?", destination);
                failedAt.remove(destination);
                meters.counter("vestibule.federation.transactions", "result", "sent").increment();
            } catch (Exception e) {
                backOff(destination, e);
                meters.counter("vestibule.federation.transactions", "result", "failed").increment();
                release(destination);
                return;
            }
        }
    }

    /**
     * The same batch retried keeps its ID; a batch that changed meanwhile gets a new one. PDU rows
     * give their first and last row IDs as before; EDUs add their newest version and their count.
     * Versions come from a sequence, and the process's start time leads every ID.
     */
    private String transactionId(List<Long> rowIds, List<OutboundEdus.Queued> eduBatch) {
        StringBuilder id = new StringBuilder(txnPrefix);
        if (!rowIds.isEmpty()) {
            id.append('-').append(rowIds.get(0)).append('-').append(rowIds.get(rowIds.size() - 1));
        }
        if (!eduBatch.isEmpty()) {
            long newest = eduBatch.stream().mapToLong(OutboundEdus.Queued::version).max().orElse(0);
            id.append("-e").append(newest).append('.').append(eduBatch.size());
        }
        return id.toString();
    }

    boolean claim(String destination, long now) {
        return jdbc.update("update federation_destinations set lease_owner = ?, lease_until = ? where destination = ? "
                + "and (lease_until < ? or lease_owner = ? or (lease_owner like ? and not exists "
                + "(select 1 from pg_stat_activity where application_name = split_part(lease_owner, '/', 1))))",
                instanceId, now + LEASE_MS, destination, now, instanceId, OWNED_NAME + "%/%") == 1;
    }

    private void release(String destination) {
        jdbc.update("update federation_destinations set lease_until = 0 where destination = ? and lease_owner = ?",
                destination, instanceId);
    }

    private void backOff(String destination, Exception e) {
        Long previous = jdbc.queryForObject("select backoff_ms from federation_destinations where destination = ?",
                Long.class, destination);
        long backoff = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, previous == null ? 0 : previous * 2));
        String error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (error.length() > 500) {
            error = error.substring(0, 500);
        }
        jdbc.update("update federation_destinations set retry_at_ts = ?, backoff_ms = ?, failures = failures + 1, "
                + "last_error = ? where destination = ?", clock.millis() + backoff, backoff, error, destination);
        failedAt.put(destination, clock.millis());
        log.info("Sending to {} failed ({}); retrying in {} s", destination, error, backoff / 1000);
        schedule(destination, backoff);
    }

    private void schedule(String destination, long delayMs) {
        if (!stopped) {
            timer.schedule(() -> wake(destination), delayMs, TimeUnit.MILLISECONDS);
        }
    }

    /** How many PDUs and EDUs are queued for any destination (for tests and shutdown). */
    public long pending() {
        Long n = jdbc.queryForObject("select count(*) from federation_outbound_pdus", Long.class);
        return (n == null ? 0 : n) + edus.count();
    }

    /** Retries every backing-off destination now (an operator's nudge, and for tests). */
    public void retryNow() {
        jdbc.update("update federation_destinations set retry_at_ts = 0");
        resume();
    }

    @PreDestroy
    void stop() {
        stopped = true;
        timer.shutdownNow();
        workers.shutdownNow();
    }

    private static void afterCommit(Runnable action) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    action.run();
                }
            });
        } else {
            action.run();
        }
    }
}
