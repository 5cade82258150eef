package org.vestibule.support;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/** Waiting for what arrives over federation or happens in the background (queued PDUs, transactions, resyncs). */
public final class Eventually {

    private Eventually() {}

    /** Polls (every 50 ms, giving up after 60 s) until the probe returns non-null, and returns that. */
    public static <T> T eventually(String what, Supplier<T> probe) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Polls until the condition holds. */
    public static void until(String what, Supplier<Boolean> condition) {
        eventually(what, () -> Boolean.TRUE.equals(condition.get()) ? Boolean.TRUE : null);
    }
}
