package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BoundedExecutorTests {

    @Test
    void atMostTheLimitAreHandedOnAndEachFinishHandsOnTheNextInOrder() {
        List<Runnable> handedOn = new ArrayList<>(); // the delegate only keeps them, so nothing runs by itself
        BoundedExecutor bounded = new BoundedExecutor(handedOn::add, 3);
        List<Integer> ran = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int n = i;
            bounded.execute(() -> ran.add(n));
        }
        assertThat(handedOn).hasSize(3);
        assertThat(bounded.running()).isEqualTo(3);

        handedOn.get(0).run();
        assertThat(ran).containsExactly(0);
        assertThat(handedOn).as("the finished task's place goes to the next waiting one").hasSize(4);

        for (int i = 1; i < handedOn.size(); i++) {
            handedOn.get(i).run();
        }
        assertThat(ran).containsExactlyElementsOf(IntStream.range(0, 10).boxed().toList());
        assertThat(bounded.running()).isZero();
    }

    @Test
    void tasksFromManyThreadsAllRun() throws Exception {
        // Adds and finishes race each other: no task may be left waiting with a place free.
        ExecutorService threads = Executors.newCachedThreadPool();
        ExecutorService submitters = Executors.newFixedThreadPool(8);
        try {
            BoundedExecutor bounded = new BoundedExecutor(threads, 3);
            int tasks = 2_000;
            CountDownLatch done = new CountDownLatch(tasks);
            for (int i = 0; i < tasks; i++) {
                submitters.execute(() -> bounded.execute(done::countDown));
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).as("every task ran").isTrue();
        } finally {
            submitters.shutdownNow();
            threads.shutdownNow();
        }
    }

    @Test
    void aRefusedStartGivesItsPlaceBack() {
        List<Runnable> handedOn = new ArrayList<>();
        BoundedExecutor bounded = new BoundedExecutor(task -> {
            if (handedOn.isEmpty()) {
                handedOn.add(task);
                throw new RejectedExecutionException("stopping");
            }
            task.run();
        }, 1);
        assertThatThrownBy(() -> bounded.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThat(bounded.running()).isZero();
        List<String> ran = new ArrayList<>();
        bounded.execute(() -> ran.add("second"));
        assertThat(ran).containsExactly("second");
    }
}
