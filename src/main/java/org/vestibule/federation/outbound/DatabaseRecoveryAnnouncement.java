package org.vestibule.federation.outbound;

import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.vestibule.error.DatabaseOutageSeen;

/**
 * After a database outage in which we answered 503, the start's empty transactions again once
 * PostgreSQL answers: a peer whose transaction we refused retries it within its request for a
 * while (Synapse 1.160: about ten minutes), then backs off from us and holds its users' events
 * until we send it something, and a server that stayed up sends nothing of itself.
 */
@Component
class DatabaseRecoveryAnnouncement implements ApplicationListener<PayloadApplicationEvent<DatabaseOutageSeen>> {

    private static final Logger log = LoggerFactory.getLogger(DatabaseRecoveryAnnouncement.class);
    static final Duration PROBE_EVERY = Duration.ofSeconds(2);

    private final RestartAnnouncement announcement;
    private final JdbcTemplate jdbc;
    private final AtomicBoolean waiting = new AtomicBoolean();
    private volatile Thread waiter;
    private volatile boolean closed;

    DatabaseRecoveryAnnouncement(RestartAnnouncement announcement, JdbcTemplate jdbc) {
        this.announcement = announcement;
        this.jdbc = jdbc;
    }

    @Override
    public void onApplicationEvent(PayloadApplicationEvent<DatabaseOutageSeen> event) {
        outage(event.getPayload());
    }

    /** The first 503 of an outage starts one wait; the others of it find it started. */
    void outage(DatabaseOutageSeen seen) {
        if (closed || !waiting.compareAndSet(false, true)) {
            return;
        }
        log.info("The database is unavailable ({} {} answered 503); the servers we share rooms with will be told "
                + "once it is back", seen.method(), seen.path());
        Thread thread = new Thread(this::awaitRecovery, "federation-hello-after-outage");
        thread.setDaemon(true);
        waiter = thread;
        thread.start();
    }

    private void awaitRecovery() {
        try {
            while (!reachable()) {
                Thread.sleep(PROBE_EVERY.toMillis());
                if (closed) {
                    return;
                }
            }
            announcement.announce("back-", " (after the database was unavailable)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("Telling the servers we share rooms with that we are back failed: {}", e.toString());
        } finally {
            waiting.set(false);
        }
    }

    private boolean reachable() {
        try {
            jdbc.queryForObject("select 1", Integer.class);
            return true;
        } catch (DataAccessException e) {
            return false;
        }
    }

    @PreDestroy
    void close() {
        closed = true;
        Thread thread = waiter;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
