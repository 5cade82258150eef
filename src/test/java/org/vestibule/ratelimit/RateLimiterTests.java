package org.vestibule.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.support.MutableClock;

/** The leaky bucket of Synapse's Ratelimiter, on a clock moved by hand. */
class RateLimiterTests {

    final MutableClock clock = MutableClock.now();

    RateLimiter limiter(double perSecond, double burst) {
        return new RateLimiter("vestibule.rate-limits.test", new RateLimitProperties.Rate(perSecond, burst), clock);
    }

    @Test
    @DisplayName("a burst goes through; the next waits exactly until one action has drained")
    void burstThenWait() {
        RateLimiter failures = limiter(0.17, 3);
        assertThat(failures.check("a", true)).isZero();
        assertThat(failures.check("a", true)).isZero();
        assertThat(failures.check("a", true)).isZero();
        long wait = failures.check("a", true);
        assertThat(wait).isEqualTo(5883); // 1 / 0.17 s, rounded up to the millisecond
        clock.advance(Duration.ofMillis(wait - 1));
        assertThat(failures.check("a", false)).isEqualTo(1);
        clock.advance(Duration.ofMillis(1));
        assertThat(failures.check("a", true)).isZero();
        assertThat(failures.check("a", true)).isPositive();
    }

    @Test
    @DisplayName("refused actions are not counted, and checks without update count nothing")
    void refusalsAndChecksAreFree() {
        RateLimiter messages = limiter(0.2, 2);
        assertThat(messages.check("u", false)).isZero();
        assertThat(messages.check("u", false)).isZero();
        assertThat(messages.check("u", true)).isZero();
        assertThat(messages.check("u", true)).isZero();
        long first = messages.check("u", true);
        for (int i = 0; i < 10; i++) {
            assertThat(messages.check("u", true)).isEqualTo(first);
        }
        assertThat(first).isEqualTo(5000);
    }

    @Test
    @DisplayName("keys are counted apart")
    void keysApart() {
        RateLimiter registrations = limiter(0.17, 1);
        assertThat(registrations.check("10.0.0.1", true)).isZero();
        assertThat(registrations.check("10.0.0.1", true)).isPositive();
        assertThat(registrations.check("10.0.0.2", true)).isZero();
    }

    @Test
    @DisplayName("record counts past the limit (joins from other servers), delaying the next check")
    void recordOverflows() {
        RateLimiter perRoom = limiter(1, 2);
        perRoom.record("!r");
        perRoom.record("!r");
        perRoom.record("!r");
        perRoom.record("!r");
        // Four in the bucket, two allowed: three must drain before one more fits.
        assertThat(perRoom.check("!r", false)).isEqualTo(3000);
        clock.advance(Duration.ofSeconds(3));
        assertThat(perRoom.check("!r", false)).isZero();
    }

    @Test
    @DisplayName("a drained bucket starts over with a full burst")
    void drainsCompletely() {
        RateLimiter joins = limiter(0.1, 2);
        assertThat(joins.check("u", true)).isZero();
        assertThat(joins.check("u", true)).isZero();
        assertThat(joins.check("u", true)).isEqualTo(10_000);
        clock.advance(Duration.ofSeconds(60));
        assertThat(joins.check("u", true)).isZero();
        assertThat(joins.check("u", true)).isZero();
        assertThat(joins.check("u", true)).isEqualTo(10_000);
    }
}
