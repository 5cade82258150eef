package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * hs2's users join hs1's rooms of every room version, the way the Synapse interop suite does it
 * both ways: what first failed against a real Synapse must fail here too without its fix.
 */
class RemoteJoinRoomVersionsIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static User alice;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        alice = hs1.register(unique("alice"));
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @ParameterizedTest(name = "room version {0}")
    @ValueSource(strings = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"})
    void joinsARoomOfEveryVersion(String version) {
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "room_version", version));
        User bob = hs2.register(unique("bob"));
        MatrixClient.Response joined = hs2.join(bob, room, servers.get(0).serverName());
        assertThat(joined.status()).as(joined.raw()).isEqualTo(200);
        assertThat(hs1.joinedMembers(alice, room)).containsKey(bob.userId());
    }

    /**
     * In room version 12 auth_events never name the create event, so nothing but the room ID ties
     * the creator's join and power levels to it. Synapse's initial power levels list no creator in
     * {@code users} and set m.room.tombstone to 150: checked before the create event, they would be
     * rejected (the creator's unlimited power unknown), and the join with them. The events of a
     * send_join answer come in no particular order, so one room proves little: twenty do.
     */
    @Test
    void joinsVersion12RoomsWhateverOrderTheirStateIsCheckedIn() {
        User bob = hs2.register(unique("bob"));
        for (int i = 0; i < 20; i++) {
            String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "room_version", "12",
                    "power_level_content_override", Map.of("events", Map.of("m.room.tombstone", 150))));
            MatrixClient.Response joined = hs2.join(bob, room, servers.get(0).serverName());
            assertThat(joined.status()).as("join %d: %s", i, joined.raw()).isEqualTo(200);
        }
    }
}
