package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.support.Eventually;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestHomeservers.Homeserver;

/**
 * Event types and state keys may hold any character, U+0000 and U+0001 too (a Synapse on SQLite
 * stores them): such a room is made, joined over federation, read back after a restart, and each
 * slot stays apart from the others. Text that is not an event's (a display name) is refused with 400.
 */
class NulInEventStringsIntegrationTests {

    /** State keys that only an exact store tells apart: each is its own slot. */
    static final List<String> KEYS = List.of("\u0000", "\u0001", "\u00010", "\u0001\u0001", "a\u0000\u0001b", "");

    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> testSlots(MatrixClient client, User user, String roomId) {
        List<Map<String, Object>> state = (List<Map<String, Object>>) client.roomState(user, roomId).expect(200).body()
                .get("_list");
        Map<String, Object> slots = new TreeMap<>();
        for (Map<String, Object> event : state) {
            if (((String) event.get("type")).startsWith("m.te")) {
                slots.put(event.get("type") + "|" + event.get("state_key"), ((Map<?, ?>) event.get("content")).get("n"));
            }
        }
        return slots;
    }

    @Test
    void aRoomWithNulInStateKeysAndTypesIsMadeJoinedAndReadBack() {
        MatrixClient hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        MatrixClient hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        User alice = hs1.register(unique("alice"));
        List<Map<String, Object>> initial = new ArrayList<>();
        Map<String, Object> expected = new TreeMap<>();
        for (int i = 0; i < KEYS.size(); i++) {
            initial.add(Map.of("type", "m.test", "state_key", KEYS.get(i), "content", Map.of("n", (long) i)));
            expected.put("m.test|" + KEYS.get(i), (long) i);
        }
        initial.add(Map.of("type", "m.te\u0000st", "state_key", "\u0000", "content", Map.of("n", 99L)));
        expected.put("m.te\u0000st|\u0000", 99L);
        String roomId = hs1.createRoom(alice, Map.of("preset", "public_chat", "initial_state", initial));
        assertThat(testSlots(hs1, alice, roomId)).isEqualTo(expected);

        // Over federation: the join's state, its auth chain and the room's current state on the other server.
        User bob = hs2.register(unique("bob"));
        hs2.join(bob, roomId, servers.get(0).serverName()).expect(200);
        Eventually.eventually("the joined server's full state", () ->
                testSlots(hs2, bob, roomId).equals(expected) ? true : null);

        // From the database alone, after a restart: current state and state groups decode what they stored.
        Homeserver restarted = servers.get(1).restart();
        try {
            MatrixClient again = new MatrixClient(restarted.clientBaseUrl());
            assertThat(testSlots(again, bob, roomId)).isEqualTo(expected);
            hs1.sendMessage(alice, roomId, "after the restart");
            Eventually.eventually("the message over federation", () -> again.get("/_matrix/client/v3/rooms/"
                    + MatrixClient.encode(roomId) + "/messages?dir=b&limit=5", bob.accessToken()).expect(200).raw()
                    .contains("after the restart") ? true : null);
        } finally {
            restarted.close();
        }
    }

    @Test
    void textOutsideEventsWithNulIsRefusedWithNothingWritten() {
        MatrixClient hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        User carol = hs1.register(unique("carol"));
        String path = "/_matrix/client/v3/profile/" + MatrixClient.encode(carol.userId()) + "/displayname";
        Object before = hs1.get(path, carol.accessToken()).expect(200).body().get("displayname");
        MatrixClient.Response refused = hs1.put(path, carol.accessToken(), Map.of("displayname", "ca\u0000rol"));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(refused.error()).contains("U+0000");
        assertThat(hs1.get(path, carol.accessToken()).expect(200).body().get("displayname")).isEqualTo(before);

        MatrixClient.Response status = hs1.put("/_matrix/client/v3/presence/" + MatrixClient.encode(carol.userId())
                + "/status", carol.accessToken(), Map.of("presence", "online", "status_msg", "\u0000"));
        assertThat(status.status()).isEqualTo(400);
        assertThat(status.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(status.error()).contains("U+0000");
    }
}
