package org.vestibule.config;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection that LISTENs on a PostgreSQL channel on its own thread and hands each payload to
 * a callback; reconnects with backoff. Callers learn when it is up and when it was lost, since
 * whatever was notified in between is gone.
 */
public final class PgListener {

    private static final Logger log = LoggerFactory.getLogger(PgListener.class);

    private final DataSource dataSource;
    private final String channel;
    private final String threadName;
    private final Consumer<String> onNotification;
    private final Runnable onConnected;
    private final Runnable onLost;
    private volatile boolean listening;
    private volatile boolean stopped;
    private volatile Thread thread;

    /**
     * @param channel        a plain SQL identifier (it is not quoted)
     * @param onConnected    runs once LISTEN is in place, before any notification of that connection
     * @param onLost         runs when the connection failed or the listener stops
     */
    public PgListener(DataSource dataSource, String channel, String threadName, Consumer<String> onNotification,
                      Runnable onConnected, Runnable onLost) {
        if (!channel.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("Not a plain channel name: " + channel);
        }
        this.dataSource = dataSource;
        this.channel = channel;
        this.threadName = threadName;
        this.onNotification = onNotification;
        this.onConnected = onConnected;
        this.onLost = onLost;
    }

    /** Starts the thread once; later calls do nothing (and take no lock: callers are hot paths). */
    public void start() {
        if (thread != null) {
            return;
        }
        synchronized (this) {
            if (thread != null || stopped) {
                return;
            }
            Thread t = new Thread(this::listen, threadName);
            t.setDaemon(true);
            thread = t;
            t.start();
        }
    }

    /** Whether the LISTEN connection is up now. */
    public boolean listening() {
        return listening;
    }

    public boolean stopped() {
        return stopped;
    }

    public void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        onLost.run();
    }

    private void listen() {
        long backoff = 100;
        while (!stopped) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + channel);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                listening = true;
                backoff = 100;
                onConnected.run();
                while (!stopped) {
                    PGNotification[] notes = pg.getNotifications(1000);
                    if (notes != null) {
                        for (PGNotification n : notes) {
                            onNotification.accept(n.getParameter());
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (stopped) {
                    return;
                }
                log.warn("Listening on {} failed, retrying in {} ms: {}", channel, backoff, e.toString());
                onLost.run();
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 10_000);
            } finally {
                listening = false;
            }
        }
    }
}
