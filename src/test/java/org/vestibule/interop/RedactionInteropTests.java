package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.publicRoom;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;
import static org.vestibule.support.Eventually.eventually;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;

/** Redactions both ways: what one side redacts, the other shows redacted, with redacted_because. */
@DisplayName("Redactions")
class RedactionInteropTests {

    static Synapse synapse;
    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> new String[0]);
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    static Response redact(Member member, String room, String eventId) {
        return member.client().put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/redact/"
                + MatrixClient.encode(eventId) + "/r" + System.nanoTime(), member.user().accessToken(),
                Map.of("reason", "interop"));
    }

    static Map<String, Object> event(Member member, String room, String eventId) {
        Response r = member.client().get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/event/"
                + MatrixClient.encode(eventId), member.user().accessToken());
        return r.status() == 200 ? r.body() : null;
    }

    static boolean redacted(Map<String, Object> event) {
        return event != null && event.get("unsigned") instanceof Map<?, ?> u && u.get("redacted_because") != null
                && Map.of().equals(event.get("content"));
    }

    @ParameterizedTest(name = "version {0}: a message redacted on each side is redacted on the other")
    @ValueSource(ints = {10, 11})
    void redactionsBothWays(int version) {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        String room = alice.createRoom(publicRoom(version));
        bob.joins(room, alice.server());
        String fromAlice = alice.send(room, "alice's secret");
        String fromBob = bob.send(room, "bob's secret");
        bob.seesMessage(room, "alice's secret");
        alice.seesMessage(room, "bob's secret");

        redact(alice, room, fromAlice).expect(200);
        redact(bob, room, fromBob).expect(200);
        eventually("Synapse showing alice's message redacted", () -> redacted(event(bob, room, fromAlice)) ? true : null);
        eventually("Vestibule showing bob's message redacted", () -> redacted(event(alice, room, fromBob)) ? true : null);
        assertThat(alice.messages(room)).doesNotContain("alice's secret", "bob's secret");
        assertThat(bob.messages(room)).doesNotContain("alice's secret", "bob's secret");
    }
}
