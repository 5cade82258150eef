package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.auth.StateKey;
import org.vestibule.event.RoomVersions;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * Two instances on one database: the cache of the one that did not write learns of the change
 * from the database's announcement (migration V10), and the writer reads its own write at once.
 */
@VestibuleIntegrationTest
class RoomStateCacheIntegrationTests {

    @Autowired RoomCreator creator;
    @Autowired LocalEvents localEvents;
    @Autowired RoomStateCache cache;
    @Autowired CurrentStateEntries currentState;
    @Autowired ForwardExtremities extremities;
    @Autowired JdbcTemplate jdbc;
    @Autowired DataSource dataSource;
    @Autowired ServerKeyring keyring;
    @Autowired PlatformTransactionManager transactions;

    @Test
    void anotherInstancesCacheFollowsCommittedWritesAndTheWriterReadsItsOwn() throws Exception {
        String bob = "@bob-cache:" + keyring.serverName();
        String roomId = publicRoomOf("@alice-cache:" + keyring.serverName());
        RoomStateCache other = new RoomStateCache(currentState, extremities, jdbc, dataSource);
        try {
            assertThat(other.current(roomId).state().get(new StateKey("m.room.member", bob))).isNull();
            awaitListening(other);
            RoomSnapshot before = other.current(roomId); // now remembered as the committed version

            String join = localEvents.send(roomId, bob, "m.room.member", bob, Map.of("membership", "join")).eventId();

            // The writer: at once, without waiting for any announcement.
            assertThat(cache.current(roomId).state().get(new StateKey("m.room.member", bob))).isEqualTo(join);
            // The other instance: once the announcement arrives, and never an older version after it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            RoomSnapshot seen = other.current(roomId);
            while (seen.stateVersion() == before.stateVersion() && System.nanoTime() < deadline) {
                Thread.sleep(5);
                seen = other.current(roomId);
            }
            assertThat(seen.stateVersion()).isGreaterThan(before.stateVersion());
            assertThat(seen.state().get(new StateKey("m.room.member", bob))).isEqualTo(join);
            assertThat(other.current(roomId).stateVersion()).isEqualTo(seen.stateVersion());
        } finally {
            other.destroy();
        }
        // A room the database does not hold is not invented.
        assertThat(cache.current("!nowhere:" + keyring.serverName())).isNull();
    }

    /**
     * The next writer takes the room's lock as soon as a commit releases it, and asks for the version
     * that commit made before the snapshot reaches the cache: it gets the committing snapshot, not a
     * reload of the whole state from the database.
     */
    @Test
    void aReaderBetweenCommitAndCacheGetsTheCommittedSnapshotWithoutReloading() throws Exception {
        String bob = "@bob-race:" + keyring.serverName();
        String roomId = publicRoomOf("@alice-race:" + keyring.serverName());
        AtomicReference<RoomSnapshot> read = new AtomicReference<>();
        AtomicReference<Thread> reader = new AtomicReference<>();
        RoomSnapshot written = new TransactionTemplate(transactions).execute(status -> {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    // Committed in the database, not yet in the cache: another thread asks now.
                    long version = cache.current(roomId).stateVersion();
                    Thread t = new Thread(() -> read.set(cache.get(roomId, version)));
                    reader.set(t);
                    t.start();
                    // Until it waits on the commit (with the fix) or has read the database (without).
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.TERMINATED
                            && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                }
            });
            localEvents.send(roomId, bob, "m.room.member", bob, Map.of("membership", "join"));
            return cache.current(roomId);
        });
        reader.get().join(TimeUnit.SECONDS.toMillis(60));

        assertThat(read.get()).isSameAs(written);
        assertThat(cache.current(roomId)).isSameAs(written);
    }

    private String publicRoomOf(String creator) {
        return this.creator.create(new NewRoom(creator, RoomVersions.V10, "public_chat", Map.of(), List.of(),
                Map.of(), null, null, null, List.of(), false));
    }

    private static void awaitListening(RoomStateCache c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!c.listening() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(c.listening()).isTrue();
    }
}
