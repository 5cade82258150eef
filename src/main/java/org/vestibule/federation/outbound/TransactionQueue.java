package org.vestibule.federation.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.util.ArrayList;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
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
 * The durable per-destination queue of outgoing PDUs: rows written with the event, sent in order
 * in transactions of at most {@value #BATCH} PDUs, retried with exponential backoff, resumed after
 * a restart. A lease on each destination keeps several app instances from sending the same batch.
 * Nothing of a room is queued to a server its server ACL denies (as of the state after the event).
 */
@Component
public class TransactionQueue implements EventRelay {

    private static final Logger log = LoggerFactory.getLogger(TransactionQueue.class);
    static final int BATCH = 50;
    private static final long MIN_BACKOFF_MS = 2_000;
    private static final long MAX_BACKOFF_MS = 60 * 60 * 1000;
    private static final long LEASE_MS = 120_000;

    private final JdbcTemplate jdbc;
    private final EventGraph graph;
    private final ServerKeyring keyring;
    private final TransactionSender sender;
    private final MeterRegistry meters;
    private final Clock clock;
    private final ServerAcls acls;
    private final String instanceId = UUID.randomUUID().toString();
    // Peers remember (origin, txnId) and answer a repeat from their cache without reading it, so
    // IDs must not repeat after a restart or a database wipe: this process's start time leads them.
    private final String txnPrefix;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    // Destinations woken since their sender last looked at the queue.
    private final Set<String> woken = ConcurrentHashMap.newKeySet();
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
        this.meters = meters;
        this.clock = clock;
        this.txnPrefix = Long.toString(clock.millis(), 36);
    }

    @Override
    public void relay(Pdu event, java.util.Collection<String> joinedServers, Set<String> except) {
        Set<String> destinations = new LinkedHashSet<>(joinedServers);
        if ("m.room.member".equals(event.type())) {
            // A kicked, banned or invited server must hear of it too, though it has no joined member now.
            Identifiers.serverOf(event.stateKey()).ifPresent(destinations::add);
        }
        destinations.remove(keyring.serverName());
        destinations.removeAll(except);
        // Called in the transaction that stored the event, so the ACL is the one after it.
        if (destinations.removeIf(d -> !acls.allows(d, event.roomId()))) {
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

    /** Resumes every destination with queued PDUs (after a restart). */
    @EventListener(ApplicationReadyEvent.class)
    public void resume() {
        for (String d : jdbc.queryForList("select distinct destination from federation_outbound_pdus", String.class)) {
            wake(d);
        }
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
            if (batch.isEmpty()) {
                release(destination);
                return;
            }
            long first = (Long) batch.get(0)[0];
            long last = (Long) batch.get(batch.size() - 1)[0];
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
            txn.put("edus", List.of());
            // The same batch retried keeps its ID; a batch that grew meanwhile gets a new one.
            String txnId = txnPrefix + "-" + first + "-" + last;
            try {
                sender.send(destination, txnId, txn);
                jdbc.update("delete from federation_outbound_pdus where destination = ? and id <= ?", destination, last);
                jdbc.update("update federation_destinations set retry_at_ts = 0, backoff_ms = 0, failures = 0, "
                        + "last_error = null where destination = ?", destination);
                meters.counter("vestibule.federation.transactions", "result", "sent").increment();
            } catch (Exception e) {
                backOff(destination, e);
                meters.counter("vestibule.federation.transactions", "result", "failed").increment();
                release(destination);
                return;
            }
        }
    }

    private boolean claim(String destination, long now) {
        return jdbc.update("update federation_destinations set lease_owner = ?, lease_until = ? where destination = ? "
                + "and (lease_until < ? or lease_owner = ?)", instanceId, now + LEASE_MS, destination, now, instanceId) == 1;
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
        log.info("Sending to {} failed ({}); retrying in {} s", destination, error, backoff / 1000);
        schedule(destination, backoff);
    }

    private void schedule(String destination, long delayMs) {
        if (!stopped) {
            timer.schedule(() -> wake(destination), delayMs, TimeUnit.MILLISECONDS);
        }
    }

    /** Whether nothing is queued for any destination (for tests and shutdown). */
    public long pending() {
        Long n = jdbc.queryForObject("select count(*) from federation_outbound_pdus", Long.class);
        return n == null ? 0 : n;
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
