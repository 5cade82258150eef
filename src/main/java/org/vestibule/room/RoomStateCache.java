package org.vestibule.room;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.vestibule.auth.StateKey;
import org.vestibule.config.PgListener;

/**
 * Each room's current state and extremities in memory, trusted only while rooms.state_version
 * still matches, so several app instances on one database stay correct. Which version is current
 * comes without a query while this instance LISTENs to the announcements of migration V10; a room
 * first looked at, or any room after the connection was lost, costs one query.
 */
@Component
class RoomStateCache implements DisposableBean {

    // Transaction-bound map of snapshots written but not yet committed.
    private static final Object PENDING = new Object();

    private final Map<String, RoomSnapshot> snapshots = new ConcurrentHashMap<>();
    private final Map<String, Committing> committing = new ConcurrentHashMap<>();
    private final CurrentStateEntries currentState;
    private final ForwardExtremities extremities;
    private final JdbcTemplate jdbc;
    // The newest committed state_version of each room, while the listener is up; cleared when it
    // (re)connects, since announcements may have been missed. Versions only grow: merge by max.
    private final Map<String, Long> committedVersions = new ConcurrentHashMap<>();
    private final AtomicLong listenEpoch = new AtomicLong();
    private final PgListener listener;

    RoomStateCache(CurrentStateEntries currentState, ForwardExtremities extremities, JdbcTemplate jdbc,
                   DataSource dataSource) {
        this.currentState = currentState;
        this.extremities = extremities;
        this.jdbc = jdbc;
        this.listener = new PgListener(dataSource, "vestibule_state", "state-version-listener", this::announced,
                this::forgetVersions, this::forgetVersions);
    }

    /** The snapshot for the given state version, from memory or the database. */
    RoomSnapshot get(String roomId, long stateVersion) {
        RoomSnapshot pending = pending().get(roomId);
        if (pending != null && pending.stateVersion() == stateVersion) {
            return pending;
        }
        RoomSnapshot cached = snapshots.get(roomId);
        if (cached != null && cached.stateVersion() == stateVersion) {
            return cached;
        }
        RoomSnapshot committing = committing(roomId, stateVersion);
        if (committing != null) {
            return committing;
        }
        RoomSnapshot loaded = load(roomId, stateVersion);
        snapshots.put(roomId, loaded);
        return loaded;
    }

    /**
     * The snapshot of this version if a transaction of ours is committing it, once it has: whoever saw
     * the version saw that commit (each version is committed once), but the snapshot reaches the cache
     * only after it, and the next writer, waiting on the room's lock, asks in between. Null if that
     * transaction rolled back (someone else's version, then) or is not done within a second.
     */
    private RoomSnapshot committing(String roomId, long stateVersion) {
        Committing inFlight = this.committing.get(roomId);
        if (inFlight == null || inFlight.snapshot().stateVersion() != stateVersion
                || inFlight.thread() == Thread.currentThread()) {
            return null; // the committing thread itself, in an after-commit hook, would wait on itself
        }
        try {
            return inFlight.committed().get(1, TimeUnit.SECONDS) ? inFlight.snapshot() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    /** A snapshot whose transaction is committing, and whether it did. */
    private record Committing(RoomSnapshot snapshot, CompletableFuture<Boolean> committed, Thread thread) {}

    /**
     * The current snapshot, as of the newest committed version this instance heard of, else
     * checking the version with one cheap query; null for a room not in the database.
     */
    RoomSnapshot current(String roomId) {
        RoomSnapshot pending = pending().get(roomId);
        if (pending != null) {
            return pending; // this transaction's own write, newer than anything committed
        }
        listener.start();
        long epoch = listenEpoch.get();
        boolean trusted = listener.listening();
        Long known = trusted ? committedVersions.get(roomId) : null;
        if (known != null) {
            return get(roomId, known);
        }
        List<Long> version = jdbc.queryForList("select state_version from rooms where room_id = ?", Long.class, roomId);
        if (version.isEmpty()) {
            return null;
        }
        // Only if no reconnect happened meanwhile: an announcement it missed could be newer.
        if (trusted && listenEpoch.get() == epoch && listener.listening()) {
            committedVersions.merge(roomId, version.get(0), Math::max);
        }
        return get(roomId, version.get(0));
    }

    /** An announcement 'version room_id' from the database: a commit moved the room on. */
    private void announced(String payload) {
        int space = payload.indexOf(' ');
        if (space <= 0) {
            return;
        }
        try {
            committedVersions.merge(payload.substring(space + 1), Long.parseLong(payload.substring(0, space)),
                    Math::max);
        } catch (NumberFormatException e) {
            // not ours; ignore
        }
    }

    private void forgetVersions() {
        listenEpoch.incrementAndGet();
        committedVersions.clear();
    }

    /** Whether versions come from announcements now (else from a query each time). */
    boolean listening() {
        return listener.listening();
    }

    @Override
    public void destroy() {
        listener.stop();
    }

    /**
     * Records a snapshot written by the current transaction: visible to that transaction at once,
     * and to everyone once it commits.
     */
    void putAfterCommit(String roomId, RoomSnapshot snapshot) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            put(roomId, snapshot);
            return;
        }
        Map<String, RoomSnapshot> pending = pending();
        boolean first = pending.isEmpty();
        pending.put(roomId, snapshot);
        if (first) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                private final Map<String, Committing> ours = new HashMap<>();

                @Override
                public void beforeCommit(boolean readOnly) {
                    pending.forEach((room, snapshot) -> {
                        Committing entry = new Committing(snapshot, new CompletableFuture<>(), Thread.currentThread());
                        ours.put(room, entry);
                        committing.put(room, entry);
                    });
                }

                @Override
                public void afterCommit() {
                    pending.forEach(RoomStateCache.this::put);
                }

                @Override
                public void afterCompletion(int status) {
                    ours.forEach((room, entry) -> {
                        entry.committed().complete(status == STATUS_COMMITTED);
                        committing.remove(room, entry);
                    });
                }
            });
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, RoomSnapshot> pending() {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return Map.of();
        }
        Object resource = TransactionSynchronizationManager.getResource(PENDING);
        if (resource == null) {
            resource = new HashMap<String, RoomSnapshot>();
            TransactionSynchronizationManager.bindResource(PENDING, resource);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(PENDING);
                }
            });
        }
        return (Map<String, RoomSnapshot>) resource;
    }

    /** Records a snapshot written by a committed transaction. */
    void put(String roomId, RoomSnapshot snapshot) {
        snapshots.merge(roomId, snapshot, (old, neu) -> neu.stateVersion() >= old.stateVersion() ? neu : old);
        if (listener.listening()) {
            // Committed by us, so current at least until an announcement says otherwise.
            committedVersions.merge(roomId, snapshot.stateVersion(), Math::max);
        }
    }

    void evict(String roomId) {
        snapshots.remove(roomId);
        committedVersions.remove(roomId);
    }

    private RoomSnapshot load(String roomId, long stateVersion) {
        Map<StateKey, String> state = new HashMap<>();
        for (Object[] row : currentState.ofRoom(roomId)) {
            state.put(new StateKey(DbText.decode((String) row[0]), DbText.decode((String) row[1])), (String) row[2]);
        }
        List<String> extremityIds = List.copyOf(extremities.ofRoom(roomId));
        Long group = null;
        if (extremityIds.size() == 1) {
            List<Long> g = jdbc.queryForList("select state_after from events where event_id = ?", Long.class,
                    extremityIds.get(0));
            group = g.isEmpty() ? null : g.get(0);
        }
        Map<String, Integer> servers = new HashMap<>();
        jdbc.query("select server_name, count(*) from room_memberships where room_id = ? and membership = 'join' "
                + "group by server_name", rs -> {
                    servers.put(rs.getString(1), rs.getInt(2));
                }, roomId);
        boolean partial = Boolean.TRUE.equals(jdbc.queryForObject(
                "select exists (select 1 from partial_state_rooms where room_id = ?)", Boolean.class, roomId));
        return new RoomSnapshot(roomId, stateVersion, RoomState.of(state), extremityIds, group, Map.copyOf(servers),
                partial);
    }
}
