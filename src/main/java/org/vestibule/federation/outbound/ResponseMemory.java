package org.vestibule.federation.outbound;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory that peers' answers may take while we read and parse them, shared by every answer in
 * progress: their bytes, then the values they parse to. Without it one answer of 40 MB of
 * {@code [{"a":0},…]} to a profile lookup filled bin/vestibule's 256 MB heap and stopped the server.
 * An answer that would take more than is free fails, as too large, and the others go on. The first
 * {@value #FREE} bytes of each answer are not counted, so small answers never wait on a large one.
 */
final class ResponseMemory {

    /** What each answer may take uncounted: most answers are a few hundred bytes. */
    static final long FREE = 64 * 1024;
    /** For answers bounded by their own small limit alone, such as a well-known document. */
    static final ResponseMemory UNCOUNTED = new ResponseMemory(Long.MAX_VALUE);

    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    ResponseMemory(long capacity) {
        this.capacity = capacity;
    }

    long capacity() {
        return capacity;
    }

    /** What answers in progress take now, beyond their free part. */
    long used() {
        return used.get();
    }

    /** One answer's share, given back when it is closed. */
    Lease lease() {
        return new Lease();
    }

    /** What one answer takes: its bytes and, once it is parsed, its values. Not for several threads. */
    final class Lease implements AutoCloseable {

        private long bytes;
        private long values;
        private long taken;

        /** May the answer's bytes read so far come to {@code total}? */
        boolean holdBytes(long total) {
            if (!hold(total, values)) {
                return false;
            }
            bytes = total;
            return true;
        }

        /** May the values parsed from the answer take {@code total}? */
        boolean holdValues(long total) {
            if (!hold(bytes, total)) {
                return false;
            }
            values = total;
            return true;
        }

        private boolean hold(long newBytes, long newValues) {
            long wanted = Math.max(0, newBytes + newValues - FREE);
            long more = wanted - taken;
            if (more <= 0) {
                used.addAndGet(more);
                taken = wanted;
                return true;
            }
            while (true) {
                long now = used.get();
                if (now + more > capacity) {
                    return false;
                }
                if (used.compareAndSet(now, now + more)) {
                    taken = wanted;
                    return true;
                }
            }
        }

        /** The bytes were parsed and are no longer needed; the values stay counted. */
        void dropBytes() {
            hold(0, values);
            bytes = 0;
        }

        @Override
        public void close() {
            used.addAndGet(-taken);
            taken = 0;
            bytes = 0;
            values = 0;
        }
    }
}
