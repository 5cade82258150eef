package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
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

    @Test
    void anotherInstancesCacheFollowsCommittedWritesAndTheWriterReadsItsOwn() throws Exception {
        String alice = "@alice-cache:" + keyring.serverName();
        String bob = "@bob-cache:" + keyring.serverName();
        String roomId = creator.create(new NewRoom(alice, RoomVersions.V10, "public_chat", Map.of(), List.of(),
                Map.of(), null, null, null, List.of(), false));
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

    private static void awaitListening(RoomStateCache c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!c.listening() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(c.listening()).isTrue();
    }
}
