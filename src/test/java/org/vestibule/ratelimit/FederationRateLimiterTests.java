package org.vestibule.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vestibule.support.Eventually.until;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.error.MatrixException;
import org.vestibule.support.MutableClock;

/** rc_federation's model per origin: concurrent slots, then a delay past the window's limit, then 429. */
class FederationRateLimiterTests {

    final MutableClock clock = MutableClock.now();
    final List<Duration> slept = new CopyOnWriteArrayList<>();

    FederationRateLimiter limiter(int sleepLimit, int rejectLimit, int concurrent, FederationRateLimiter.Sleeper sleeper) {
        return new FederationRateLimiter(new RateLimitProperties.Federation(Duration.ofMillis(1000), sleepLimit,
                Duration.ofMillis(500), rejectLimit, concurrent), clock, sleeper);
    }

    FederationRateLimiter.Sleeper recording() {
        return slept::add;
    }

    @Test
    @DisplayName("Synapse's defaults: 1 s window, 10 before delaying 500 ms, 50 waiting before 429, 3 at once")
    void defaults() {
        RateLimitProperties.Federation d = new RateLimitProperties(true, null, null, null, null, null, null, null).federation();
        assertThat(d.windowSize()).isEqualTo(Duration.ofMillis(1000));
        assertThat(d.sleepLimit()).isEqualTo(10);
        assertThat(d.sleepDelay()).isEqualTo(Duration.ofMillis(500));
        assertThat(d.rejectLimit()).isEqualTo(50);
        assertThat(d.concurrent()).isEqualTo(3);
    }

    @Test
    @DisplayName("past the concurrent limit a request waits for a slot, and starts when one is freed")
    void concurrentSlots() throws Exception {
        FederationRateLimiter limiter = limiter(100, 100, 2, recording());
        FederationRateLimiter.Permit a = limiter.acquire("hs.example");
        FederationRateLimiter.Permit b = limiter.acquire("hs.example");
        // Another origin has its own slots.
        limiter.acquire("other.example").close();
        AtomicReference<FederationRateLimiter.Permit> third = new AtomicReference<>();
        Thread waiting = new Thread(() -> third.set(limiter.acquire("hs.example")));
        waiting.start();
        until("the third request waiting for a slot", () -> waiting.getState() == Thread.State.WAITING);
        assertThat(third.get()).isNull();
        a.close();
        waiting.join(10_000);
        assertThat(third.get()).isNotNull();
        b.close();
        third.get().close();
        assertThat(slept).isEmpty();
    }

    @Test
    @DisplayName("past sleep-limit requests in the window, each waits sleep-delay first; a new window starts fresh")
    void delaysPastTheSleepLimit() {
        FederationRateLimiter limiter = limiter(3, 100, 10, recording());
        for (int i = 0; i < 3; i++) {
            limiter.acquire("hs.example").close();
        }
        assertThat(slept).isEmpty();
        limiter.acquire("hs.example").close();
        limiter.acquire("hs.example").close();
        assertThat(slept).containsExactly(Duration.ofMillis(500), Duration.ofMillis(500));
        clock.advance(Duration.ofMillis(1000));
        slept.clear();
        limiter.acquire("hs.example").close();
        assertThat(slept).isEmpty();
    }

    @Test
    @DisplayName("with more than reject-limit requests waiting, the next gets 429 with retry_after_ms at once")
    void refusesPastTheRejectLimit() throws Exception {
        CountDownLatch wake = new CountDownLatch(1);
        FederationRateLimiter limiter = limiter(0, 1, 10, d -> wake.await());
        List<Thread> sleepers = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread t = new Thread(() -> limiter.acquire("hs.example").close());
            t.start();
            sleepers.add(t);
            until("request " + i + " delayed", () -> t.getState() == Thread.State.WAITING);
        }
        assertThatThrownBy(() -> limiter.acquire("hs.example")).isInstanceOfSatisfying(MatrixException.class, e -> {
            assertThat(e.status()).isEqualTo(429);
            assertThat(e.errcode()).isEqualTo("M_LIMIT_EXCEEDED");
            assertThat(e.extra()).containsEntry("retry_after_ms", 1000L);
            assertThat(e.getMessage()).contains("hs.example").contains("vestibule.rate-limits.federation");
        });
        wake.countDown();
        for (Thread t : sleepers) {
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
        }
        // Nothing waits any more: the next is let through (after its own delay).
        CountDownLatch none = new CountDownLatch(0);
        limiter(0, 1, 10, d -> none.await()).acquire("hs.example").close();
    }
}
