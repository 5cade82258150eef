package org.vestibule.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;

/**
 * Inbound federation requests per origin server, in Synapse's model (rc_federation,
 * {@code _PerHostRatelimiter}): every request is counted in a sliding window; past
 * {@code sleepLimit} in the window it waits {@code sleepDelay} first; then it queues until one of
 * {@code concurrent} slots is free, in arrival order; with more than {@code rejectLimit}
 * requests already waiting it is refused with 429 at once. A waiting request holds its thread:
 * on the HTTPS listener one of its few platform threads.
 */
public final class FederationRateLimiter {

    /** Waits; tests pass one that does not. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration delay) throws InterruptedException;
    }

    /** A slot held while a request is processed; closing frees it for the next in line. */
    @FunctionalInterface
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private static final int SWEEP_ABOVE = 10_000;

    /** One origin's requests: times in the window, how many wait (asleep or queued), how many run. */
    private static final class Host {
        final ArrayDeque<Long> times = new ArrayDeque<>();
        final ArrayDeque<Object> queue = new ArrayDeque<>();
        int sleeping;
        int processing;

        boolean idle(long now, long window) {
            return processing == 0 && sleeping == 0 && queue.isEmpty()
                    && (times.isEmpty() || now - times.peekLast() >= window);
        }
    }

    private final RateLimitProperties.Federation settings;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Map<String, Host> hosts = new ConcurrentHashMap<>();

    public FederationRateLimiter(RateLimitProperties.Federation settings, Clock clock, Sleeper sleeper) {
        this.settings = settings;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** Waits as the origin's recent requests require, then holds a slot; 429 when too many already wait. */
    public Permit acquire(String origin) {
        Host host = hosts.computeIfAbsent(origin, o -> new Host());
        long window = settings.windowSize().toMillis();
        boolean sleep;
        synchronized (host) {
            long now = clock.millis();
            while (!host.times.isEmpty() && now - host.times.peekFirst() >= window) {
                host.times.pollFirst();
            }
            if (host.sleeping + host.queue.size() > settings.rejectLimit()) {
                long retry = Math.max(1, window / Math.max(1, settings.sleepLimit()));
                throw MatrixException.limitExceeded(retry, "Too many requests from " + origin + " are waiting ("
                        + (host.sleeping + host.queue.size()) + "); vestibule.rate-limits.federation allows "
                        + settings.concurrent() + " at once, " + settings.sleepLimit() + " per "
                        + window + " ms before delaying, " + settings.rejectLimit() + " waiting");
            }
            host.times.addLast(now);
            sleep = host.times.size() > settings.sleepLimit();
            if (sleep) {
                host.sleeping++;
            }
        }
        Object ticket = new Object();
        try {
            if (sleep) {
                try {
                    sleeper.sleep(settings.sleepDelay());
                } finally {
                    synchronized (host) {
                        host.sleeping--;
                    }
                }
            }
            synchronized (host) {
                host.queue.addLast(ticket);
                while (host.queue.peekFirst() != ticket || host.processing >= settings.concurrent()) {
                    host.wait();
                }
                host.queue.pollFirst();
                host.processing++;
                host.notifyAll(); // the next in line may start too if slots remain
            }
        } catch (InterruptedException e) {
            synchronized (host) {
                host.queue.remove(ticket);
                host.notifyAll();
            }
            Thread.currentThread().interrupt();
            throw new MatrixException(503, Errcode.UNKNOWN, "The server is shutting down");
        }
        sweepIfLarge();
        return () -> {
            synchronized (host) {
                host.processing--;
                host.notifyAll();
            }
        };
    }

    private void sweepIfLarge() {
        if (hosts.size() > SWEEP_ABOVE) {
            long now = clock.millis();
            long window = settings.windowSize().toMillis();
            hosts.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    return e.getValue().idle(now, window);
                }
            });
        }
    }
}
