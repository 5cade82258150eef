package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
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

    @Test
    void anotherListenersThreadsShareTheBoundAndTheLine() {
        List<Runnable> plain = new ArrayList<>();
        List<Runnable> federation = new ArrayList<>();
        BoundedExecutor bounded = new BoundedExecutor(plain::add, 2);
        Executor viaFederation = bounded.via(federation::add);
        List<String> ran = new ArrayList<>();
        bounded.execute(() -> ran.add("plain 1"));
        viaFederation.execute(() -> ran.add("federation 1"));
        viaFederation.execute(() -> ran.add("federation 2"));
        bounded.execute(() -> ran.add("plain 2"));
        assertThat(plain).hasSize(1);
        assertThat(federation).as("the second place went to the federation task; the rest wait").hasSize(1);
        assertThat(bounded.running()).isEqualTo(2);

        plain.get(0).run();
        assertThat(federation).as("each on its own threads, in the order they came").hasSize(2);
        federation.get(0).run();
        assertThat(plain).hasSize(2);
        federation.get(1).run();
        plain.get(1).run();
        assertThat(ran).containsExactly("plain 1", "federation 1", "federation 2", "plain 2");
        assertThat(bounded.running()).isZero();
    }
}
