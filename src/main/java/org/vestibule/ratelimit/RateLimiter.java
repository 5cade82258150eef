package org.vestibule.ratelimit;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One leaky bucket per key, as Synapse's Ratelimiter: up to {@code burstCount} actions at once,
 * draining at {@code perSecond}; an action that would overflow is refused (and not counted), with
 * the wait until it would fit. Counters live in this instance's memory only.
 */
public final class RateLimiter {

    private static final int SWEEP_ABOVE = 100_000;
    // Rounding must never refuse an action at exactly the time we said it would fit.
    private static final double EPSILON = 1e-9;

    /** Actions counted since {@code startMs}, before draining. */
    private record Bucket(double count, long startMs) {}

    private final String setting;
    private final double perSecond;
    private final double burstCount;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(String setting, RateLimitProperties.Rate rate, Clock clock) {
        this.setting = setting;
        this.perSecond = rate.perSecond();
        this.burstCount = rate.burstCount();
        this.clock = clock;
    }

    /** The {@code vestibule.rate-limits.*} key this limiter reads. */
    public String setting() {
        return setting;
    }

    public String describe() {
        return setting + ": " + format(burstCount) + " at once, then " + format(perSecond) + "/s";
    }

    /**
     * Whether one more action fits now: 0 when it does (and, with {@code update}, it is counted),
     * else the milliseconds until it would.
     */
    public long check(String key, boolean update) {
        long[] wait = {0};
        long now = clock.millis();
        buckets.compute(key, (k, b) -> {
            Bucket bucket = drained(b, now);
            if (performed(bucket, now) + 1 > burstCount + EPSILON) {
                wait[0] = waitMs(bucket, now);
                return bucket.count == 0 ? null : bucket;
            }
            if (!update) {
                return bucket.count == 0 ? null : bucket;
            }
            return new Bucket(bucket.count + 1, bucket.startMs);
        });
        sweepIfLarge(now);
        return wait[0];
    }

    /** Counts an action that happened whatever the limit (another server's join into a room). */
    public void record(String key) {
        long now = clock.millis();
        buckets.compute(key, (k, b) -> {
            Bucket bucket = drained(b, now);
            return new Bucket(bucket.count + 1, bucket.startMs);
        });
        sweepIfLarge(now);
    }

    /** The bucket as it stands now; one that has drained completely restarts empty. */
    private Bucket drained(Bucket b, long now) {
        return b == null || performed(b, now) <= 0 ? new Bucket(0, now) : b;
    }

    /** The actions still in the bucket after draining. */
    private double performed(Bucket b, long now) {
        return b.count - (now - b.startMs) / 1000.0 * perSecond;
    }

    /** When the bucket will have drained enough for one more: start + (count − burst + 1) / rate. */
    private long waitMs(Bucket bucket, long now) {
        double allowedAtMs = bucket.startMs + (bucket.count - burstCount + 1) / perSecond * 1000.0;
        return Math.max(1, (long) Math.ceil(allowedAtMs - now));
    }

    private void sweepIfLarge(long now) {
        if (buckets.size() > SWEEP_ABOVE) {
            buckets.entrySet().removeIf(e -> drained(e.getValue(), now).count == 0);
        }
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
