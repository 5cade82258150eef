package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedExecutorTests {

    @Test
    void atMostTheLimitRunAtOnceAndEveryTaskRuns() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            BoundedExecutor bounded = new BoundedExecutor(threads, 3);
            AtomicInteger now = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            int tasks = 2_000;
            CountDownLatch done = new CountDownLatch(tasks);
            ExecutorService submitters = Executors.newFixedThreadPool(8);
            for (int i = 0; i < tasks; i++) {
                submitters.execute(() -> bounded.execute(() -> {
                    most.accumulateAndGet(now.incrementAndGet(), Math::max);
                    Thread.onSpinWait();
                    now.decrementAndGet();
                    done.countDown();
                }));
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).as("every task ran").isTrue();
            assertThat(most.get()).isBetween(1, 3);
            submitters.shutdown();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void waitingTasksStartAsRunningOnesFinish() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            BoundedExecutor bounded = new BoundedExecutor(threads, 1);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch second = new CountDownLatch(1);
            bounded.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            bounded.execute(second::countDown);
            assertThat(second.await(200, TimeUnit.MILLISECONDS)).as("waits while the first runs").isFalse();
            release.countDown();
            assertThat(second.await(30, TimeUnit.SECONDS)).as("starts once the first is done").isTrue();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aRefusedStartGivesItsPlaceBack() {
        AtomicInteger calls = new AtomicInteger();
        BoundedExecutor bounded = new BoundedExecutor(task -> {
            if (calls.incrementAndGet() == 1) {
                throw new RejectedExecutionException("stopping");
            }
            task.run();
        }, 1);
        assertThatThrownBy(() -> bounded.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        AtomicInteger ran = new AtomicInteger();
        bounded.execute(ran::incrementAndGet);
        assertThat(ran.get()).isEqualTo(1);
        assertThat(bounded.running(1)).isZero();
    }
}
