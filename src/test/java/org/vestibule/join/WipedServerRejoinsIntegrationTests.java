package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestHomeservers.Homeserver;

/**
 * hs2 is wiped (same name, empty database, new signing key) and its user joins hs1's room again.
 * The room's state holds that user's old join, signed with a key hs2 no longer has: hs2 asks hs1,
 * which still knows the old key, to vouch for it (the notary API), and the join goes through.
 */
class WipedServerRejoinsIntegrationTests {

    static TestHomeservers servers;
    static Homeserver hs2;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs2 = servers.get(1);
    }

    @AfterAll
    static void stop() {
        hs2.close();
        servers.close();
    }

    @Test
    void rejoinsAfterAWipeAndMessagesFlowBothWays() {
        MatrixClient hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String localpart = unique("bob");
        User bob = new MatrixClient(hs2.clientBaseUrl()).register(localpart);
        new MatrixClient(hs2.clientBaseUrl()).join(bob, room, servers.get(0).serverName()).expect(200);

        hs2 = hs2.restartOnEmptyDatabase();
        MatrixClient wiped = new MatrixClient(hs2.clientBaseUrl());
        User bobAgain = wiped.register(localpart);
        assertThat(bobAgain.userId()).isEqualTo(bob.userId());
        MatrixClient.Response joined = wiped.join(bobAgain, room, servers.get(0).serverName());
        assertThat(joined.status()).as(joined.raw()).isEqualTo(200);

        wiped.sendMessage(bobAgain, room, "after the wipe").expect(200);
        until("hs1 showing the message bob sent after the wipe", () -> hs1.get("/_matrix/client/v3/rooms/"
                + MatrixClient.encode(room) + "/messages?dir=b&limit=20", alice.accessToken()).raw().contains("after the wipe"));
        hs1.sendMessage(alice, room, "to the wiped server").expect(200);
        until("hs2 showing alice's message", () -> wiped.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room)
                + "/messages?dir=b&limit=20", bobAgain.accessToken()).raw().contains("to the wiped server"));
        assertThat(Json.object(wiped.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/joined_members",
                bobAgain.accessToken()).expect(200).body(), "joined")).containsKeys(alice.userId(), bob.userId());
    }
}
