package org.vestibule.join;

import org.vestibule.support.Eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.room.EventGraph;
import org.vestibule.room.PartialStateRooms;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * A partial-state join whose resident is gone by the time the resync runs: hs2 joins hs1's room
 * (hs3 also in it) with partial state, hs1 stops, and hs2 fetches the full state from hs3, the
 * other server hs1 named in servers_in_room.
 */
class PartialStateResyncFailoverIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static MatrixClient hs3;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(3, i -> i == 1 ? new String[] {"--vestibule.join.partial-state=true"}
                : new String[0]);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs3 = new MatrixClient(servers.get(2).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void fetchesTheFullStateFromAnotherServerInTheRoom() {
        User alice = hs1.register("alice");
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "name", "Failover"));
        for (int i = 0; i < 3; i++) {
            hs1.join(hs1.register("member" + i), room).expect(200);
        }
        User carol = hs3.register("carol");
        hs3.join(carol, room, servers.get(0).serverName()).expect(200);
        User bob = hs2.register("bob");

        PartialStateResync resync = servers.get(1).bean(PartialStateResync.class);
        CountDownLatch held = new CountDownLatch(1);
        resync.holdUntil(held);
        try {
            hs2.join(bob, room, servers.get(0).serverName()).expect(200);
            assertThat(servers.get(1).bean(PartialStateRooms.class).find(room).orElseThrow().servers())
                    .containsExactly(servers.get(0).serverName(), servers.get(2).serverName());
            Eventually.eventually("bob's join on hs3", () ->
                    hs3.joinedMembers(carol, room).containsKey(bob.userId()) ? true : null);
            servers.get(0).close();
        } finally {
            resync.holdUntil(null);
            held.countDown();
        }
        Eventually.eventually("the partial-state flag cleared on hs2", () ->
                servers.get(1).bean(PartialStateRooms.class).isPartial(room) ? null : true);
        Map<String, Object> expected = hs3.joinedMembers(carol, room);
        assertThat(expected).hasSize(6);
        assertThat(hs2.joinedMembers(bob, room).keySet()).isEqualTo(expected.keySet());
        assertThat(PartialStateJoinIntegrationTests.state(hs2, bob, room))
                .isEqualTo(PartialStateJoinIntegrationTests.state(hs3, carol, room));

        String fromHs3 = hs3.sendMessage(carol, room, "hello from hs3").expect(200).string("event_id");
        Eventually.eventually("hs3's message on hs2", () ->
                servers.get(1).bean(EventGraph.class).record(fromHs3).filter(r -> !r.outlier() && !r.rejected())
                        .isPresent() ? true : null);
    }
}
