package org.vestibule.clientapi;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.vestibule.config.PgListener;

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
    private static final long POLL_WITHOUT_LISTENER_MS = 250;

    /** One sync waiting for any of its keys (room IDs, its user ID). */
    private record Waiter(Set<String> keys, CompletableFuture<Void> wake) {}

    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final AtomicLong generation = new AtomicLong();
    private final PgListener listener;

    StreamNotifier(DataSource dataSource) {
        // Whatever was committed while we were not listening: let everyone look again.
        this.listener = new PgListener(dataSource, CHANNEL, "sync-notifier", this::notified, this::wakeEveryone,
                this::wakeEveryone);
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
        long wait = listener.listening() ? timeoutMs : Math.min(timeoutMs, POLL_WITHOUT_LISTENER_MS);
        wake.completeOnTimeout(null, Math.max(0, wait), TimeUnit.MILLISECONDS);
        if (generation.get() != seenGeneration || listener.stopped()) {
            wake.complete(null);
        }
        return wake;
    }

    /** Whether the LISTEN connection is up (else waiters poll). */
    boolean listening() {
        return listener.listening();
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

    private void startListening() {
        listener.start();
    }

    @Override
    public void destroy() {
        listener.stop();
    }
}
