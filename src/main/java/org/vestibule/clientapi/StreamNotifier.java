package org.vestibule.clientapi;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Wakes long-polling syncs when something they may show is committed. The database says so: the
 * triggers of migration V8 {@code NOTIFY vestibule_stream} with a room ID or a user ID once the
 * writing transaction commits, so every instance on the database hears about every write. One
 * connection per instance LISTENs, started with the first long poll; while it is down, waiters
 * poll instead.
 */
@Component
class StreamNotifier implements DisposableBean {

    static final String CHANNEL = "vestibule_stream";
    private static final Logger log = LoggerFactory.getLogger(StreamNotifier.class);
    private static final long POLL_WITHOUT_LISTENER_MS = 250;

    /** One sync waiting for any of its keys (room IDs, its user ID). */
    private record Waiter(Set<String> keys, CompletableFuture<Void> wake) {}

    private final DataSource dataSource;
    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean listening;
    private volatile boolean stopped;
    private Thread listener;

    StreamNotifier(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * A counter that moves on every notification: read it before looking for news, and hand it to
     * {@link #await} so that what was committed in between is not slept through.
     */
    long generation() {
        return generation.get();
    }

    /**
     * Completes when one of the keys is notified, when anything at all was notified since
     * {@code seenGeneration}, or after {@code timeoutMs}, whichever is first. Never fails.
     */
    CompletableFuture<Void> await(Collection<String> keys, long seenGeneration, long timeoutMs) {
        startListening();
        CompletableFuture<Void> wake = new CompletableFuture<>();
        Waiter waiter = new Waiter(Set.copyOf(keys), wake);
        waiters.add(waiter);
        wake.whenComplete((v, e) -> waiters.remove(waiter));
        long wait = listening ? timeoutMs : Math.min(timeoutMs, POLL_WITHOUT_LISTENER_MS);
        wake.completeOnTimeout(null, Math.max(0, wait), TimeUnit.MILLISECONDS);
        if (generation.get() != seenGeneration || stopped) {
            wake.complete(null);
        }
        return wake;
    }

    /** Whether the LISTEN connection is up (else waiters poll). */
    boolean listening() {
        return listening;
    }

    private void notified(String key) {
        generation.incrementAndGet();
        for (Waiter w : waiters) {
            if (w.keys().contains(key)) {
                w.wake().complete(null);
            }
        }
    }

    private void wakeEveryone() {
        generation.incrementAndGet();
        waiters.forEach(w -> w.wake().complete(null));
    }

    private synchronized void startListening() {
        if (listener != null || stopped) {
            return;
        }
        listener = new Thread(this::listen, "sync-notifier");
        listener.setDaemon(true);
        listener.start();
    }

    private void listen() {
        long backoff = 100;
        while (!stopped) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                listening = true;
                backoff = 100;
                // Whatever was committed while we were not listening: let everyone look again.
                wakeEveryone();
                while (!stopped) {
                    PGNotification[] notes = pg.getNotifications(1000);
                    if (notes != null) {
                        for (PGNotification n : notes) {
                            notified(n.getParameter());
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (stopped) {
                    return;
                }
                log.warn("Listening for {} failed, syncs poll until it is back: {}", CHANNEL, e.toString());
                wakeEveryone();
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 10_000);
            } finally {
                listening = false;
            }
        }
    }

    @Override
    public void destroy() {
        stopped = true;
        Thread t;
        synchronized (this) {
            t = listener;
        }
        wakeEveryone();
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
