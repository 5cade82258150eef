package org.vestibule.config;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTPS listener's request threads: platform threads, a few kept and more started while requests
 * wait, as many as the shared bound (BoundedExecutor) lets in. Eight threads alone were held by eight
 * connections that sent part of a body and then a byte every 5 s, and no peer was answered while
 * they stayed. Virtual threads would cost nothing while waiting, but under load on JDK 25 some
 * requests blocked on Tomcat's and Spring's busy monitors waited 1–3.6 s for their turn (bench/README,
 * fourteenth round); the OS schedules platform threads fairly.
 */
final class FederationThreads extends ThreadPoolExecutor {

    private static final AtomicInteger NEXT = new AtomicInteger();

    /** @param kept threads kept while idle; the others end after a minute without work */
    FederationThreads(int kept) {
        // No limit of its own: the bound decides, and a thread that has just finished its task may
        // not yet be back for the next one.
        super(kept, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), task -> {
            Thread thread = new Thread(task, "https-handler-" + NEXT.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }
}
