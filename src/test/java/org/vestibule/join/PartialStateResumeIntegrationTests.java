package org.vestibule.join;

import org.vestibule.support.Eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.room.PartialStateRooms;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/** A partial-state room whose resync had not run when the server stopped is resynced after a restart. */
class PartialStateResumeIntegrationTests {

    static TestHomeservers servers;
    static TestHomeservers.Homeserver restarted;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2, i -> i == 1 ? new String[] {"--vestibule.join.partial-state=true"}
                : new String[0]);
    }

    @AfterAll
    static void stop() {
        if (restarted != null) {
            restarted.close();
        }
        servers.close();
    }

    @Test
    void resumesTheResyncAfterARestart() {
        MatrixClient hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        MatrixClient hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        User alice = hs1.register("alice");
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "name", "Restart"));
        for (int i = 0; i < 3; i++) {
            hs1.join(hs1.register("member" + i), room).expect(200);
        }
        User bob = hs2.register("bob");

        // Held, so the room is still partial when the server stops (closing interrupts the wait).
        servers.get(1).bean(PartialStateResync.class).holdUntil(new CountDownLatch(1));
        hs2.join(bob, room, servers.get(0).serverName()).expect(200);
        assertThat(servers.get(1).bean(PartialStateRooms.class).isPartial(room)).isTrue();

        restarted = servers.get(1).restart();
        Eventually.eventually("the resync after the restart", () ->
                restarted.bean(PartialStateRooms.class).isPartial(room) ? null : true);
        MatrixClient hs2Again = new MatrixClient(restarted.clientBaseUrl());
        assertThat(hs2Again.joinedMembers(bob, room).keySet()).isEqualTo(hs1.joinedMembers(alice, room).keySet())
                .hasSize(5);
    }
}
