package org.vestibule.config;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * Runs tasks on another executor, at most {@code limit} at once; the others wait their turn, in
 * order. For the listeners' request threads: each request in progress holds ~135 KB of heap
 * (Tomcat's buffers, the servlet request and response, a virtual thread's stack), and 1,700 clients
 * that each sent part of a body and waited took 230 of the 253 MB. A waiting request holds only its
 * connection. {@link #via} gives another listener the same bound on threads of its own.
 */
final class BoundedExecutor implements Executor {

    private record Waiting(Runnable task, Executor delegate) {
    }

    private final Executor delegate;
    private final int limit;
    private final Semaphore running;
    private final Queue<Waiting> waiting = new ConcurrentLinkedQueue<>();

    BoundedExecutor(Executor delegate, int limit) {
        this.delegate = delegate;
        this.limit = limit;
        this.running = new Semaphore(limit);
    }

    @Override
    public void execute(Runnable task) {
        submit(task, delegate);
    }

    /** Tasks run on {@code other}, counted in this bound and waiting in the same line. */
    Executor via(Executor other) {
        return task -> submit(task, other);
    }

    private void submit(Runnable task, Executor on) {
        waiting.add(new Waiting(task, on));
        startWaiting();
    }

    /** Starts waiting tasks while there is room; called after every add and every finish, so none is left behind. */
    private void startWaiting() {
        while (!waiting.isEmpty() && running.tryAcquire()) {
            Waiting next = waiting.poll();
            if (next == null) {
                running.release(); // another caller took it
                continue;
            }
            try {
                next.delegate().execute(() -> {
                    try {
                        next.task().run();
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
