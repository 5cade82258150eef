package org.vestibule.config;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * Runs tasks on another executor, at most {@code limit} at once; the others wait their turn, in
 * order. For the plain listener's virtual threads, which Tomcat would otherwise start for every
 * connection with a request: each request in progress holds ~135 KB of heap (Tomcat's buffers, the
 * servlet request and response, the thread's stack), and 1,700 clients that each sent part of a
 * body and waited took 230 of the 253 MB. A waiting request holds only its connection.
 */
final class BoundedExecutor implements Executor {

    private final Executor delegate;
    private final int limit;
    private final Semaphore running;
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    BoundedExecutor(Executor delegate, int limit) {
        this.delegate = delegate;
        this.limit = limit;
        this.running = new Semaphore(limit);
    }

    @Override
    public void execute(Runnable task) {
        waiting.add(task);
        startWaiting();
    }

    /** Starts waiting tasks while there is room; called after every add and every finish, so none is left behind. */
    private void startWaiting() {
        while (!waiting.isEmpty() && running.tryAcquire()) {
            Runnable next = waiting.poll();
            if (next == null) {
                running.release(); // another caller took it
                continue;
            }
            try {
                delegate.execute(() -> {
                    try {
                        next.run();
                    } finally {
                        running.release();
                        startWaiting();
                    }
                });
            } catch (RuntimeException e) {
                running.release();
                throw e;
            }
        }
    }

    /** Tasks handed on and not yet finished. */
    int running() {
        return limit - running.availablePermits();
    }
}
