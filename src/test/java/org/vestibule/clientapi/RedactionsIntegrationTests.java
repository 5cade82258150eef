package org.vestibule.clientapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.clientapi.Syncing.at;
import static org.vestibule.support.Eventually.eventually;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.Pdu;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.room.LocalEvents;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Redactions (spec client-server §Redactions, rooms "Handling redactions"): who may redact, what
 * clients see in /event, /messages and /sync, the original content gone from storage, and
 * redactions both ways over federation, in room versions with redacts at the top level and in content.
 */
class RedactionsIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static Response redact(MatrixClient client, User user, String room, String eventId, String txnId) {
        return client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/redact/" + MatrixClient.encode(eventId)
                + "/" + txnId, user.accessToken(), Map.of("reason", "oops"));
    }

    static Map<String, Object> event(MatrixClient client, User user, String room, String eventId) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/event/" + MatrixClient.encode(eventId),
                user.accessToken()).expect(200).body();
    }

    static boolean isRedacted(Map<String, Object> event) {
        return at(event, "unsigned", "redacted_because") != null;
    }

    @ParameterizedTest(name = "room version {0}")
    @ValueSource(strings = {"10", "11"})
    void aRedactedMessageLosesItsContentEverywhereAndInStorage(String version) {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "room_version", version));
        String message = hs1.sendMessage(alice, room, "secret words").expect(200).string("event_id");
        String since = (String) Syncing.sync(hs1, alice, null).get("next_batch");

        String redaction = redact(hs1, alice, room, message, "r1").expect(200).string("event_id");
        assertThat(redact(hs1, alice, room, message, "r1").expect(200).string("event_id")).isEqualTo(redaction);

        Map<String, Object> seen = event(hs1, alice, room, message);
        assertThat(seen.get("content")).isEqualTo(Map.of());
        assertThat(at(seen, "unsigned", "redacted_because", "event_id")).isEqualTo(redaction);
        assertThat(at(seen, "unsigned", "redacted_because", "content", "reason")).isEqualTo("oops");
        Map<String, Object> redactionEvent = event(hs1, alice, room, redaction);
        assertThat(redactionEvent.get("type")).isEqualTo("m.room.redaction");
        if ("11".equals(version)) {
            assertThat(at(redactionEvent, "content", "redacts")).isEqualTo(message);
        } else {
            assertThat(redactionEvent.get("redacts")).isEqualTo(message);
        }

        List<Map<String, Object>> page = Syncing.list(hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room)
                + "/messages?dir=b&limit=10", alice.accessToken()).expect(200).body(), "chunk");
        Map<String, Object> inPage = page.stream().filter(e -> message.equals(e.get("event_id"))).findFirst().orElseThrow();
        assertThat(inPage.get("content")).isEqualTo(Map.of());
        assertThat(isRedacted(inPage)).isTrue();
        Map<String, Object> initial = Syncing.sync(hs1, alice, null);
        Map<String, Object> inSync = Syncing.timeline(initial, "join", room).stream()
                .filter(e -> message.equals(e.get("event_id"))).findFirst().orElseThrow();
        assertThat(isRedacted(inSync)).isTrue();
        assertThat(Syncing.timeline(Syncing.sync(hs1, alice, since), "join", room)).extracting(e -> e.get("event_id"))
                .containsExactly(redaction);

        // Not kept: the stored event is its redacted form.
        JdbcTemplate db = servers.get(0).bean(JdbcTemplate.class);
        byte[] stored = db.queryForObject("select json from events where event_id = ?", byte[].class, message);
        assertThat(new String(stored)).doesNotContain("secret words");
        Map<String, Object> json = StrictJsonParser.parseObject(stored, StrictJsonParser.Limits.REQUEST);
        assertThat(json.get("content")).isEqualTo(Map.of());
    }

    @Test
    void onlyTheSenderOrSomeoneWithTheRedactLevelMayRedact() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        User stranger = hs1.register(unique("stranger"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        hs1.join(bob, room).expect(200);
        String aliceMessage = hs1.sendMessage(alice, room, "from alice").expect(200).string("event_id");
        String bobMessage = hs1.sendMessage(bob, room, "from bob").expect(200).string("event_id");

        Response refused = redact(hs1, bob, room, aliceMessage, "b1");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(refused.error()).contains("redact level");
        assertThat(isRedacted(event(hs1, alice, room, aliceMessage))).isFalse();

        redact(hs1, bob, room, bobMessage, "b2").expect(200);
        assertThat(isRedacted(event(hs1, alice, room, bobMessage))).isTrue();
        String bobAgain = hs1.sendMessage(bob, room, "again").expect(200).string("event_id");
        redact(hs1, alice, room, bobAgain, "a1").expect(200);
        assertThat(isRedacted(event(hs1, bob, room, bobAgain))).isTrue();

        Response unknown = redact(hs1, alice, room, "$nothing", "a2");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errcode()).isEqualTo("M_NOT_FOUND");
        Response outsider = redact(hs1, stranger, room, aliceMessage, "s1");
        assertThat(outsider.status()).isEqualTo(403);
        assertThat(outsider.errcode()).isEqualTo("M_FORBIDDEN");
    }

    @Test
    void aRedactionThatArrivesBeforeItsEventTakesEffectWhenTheEventDoes() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        LocalEvents localEvents = servers.get(0).bean(LocalEvents.class);
        Pdu late = localEvents.build(room, alice.userId(), "m.room.message", null, Map.of("body", "late", "msgtype", "m.text"));
        localEvents.sendRedaction(room, alice.userId(), late.eventId(), Map.of());
        localEvents.commit(late, Set.of());
        Map<String, Object> seen = event(hs1, alice, room, late.eventId());
        assertThat(seen.get("content")).isEqualTo(Map.of());
        assertThat(isRedacted(seen)).isTrue();
    }

    @Test
    void redactionsTravelBothWaysOverFederation() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        hs2.join(bob, room, servers.get(0).serverName()).expect(200);
        String fromAlice = hs1.sendMessage(alice, room, "alice's words").expect(200).string("event_id");
        String fromBob = hs2.sendMessage(bob, room, "bob's words").expect(200).string("event_id");
        eventually("bob's message on hs1", () -> hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/event/"
                + MatrixClient.encode(fromBob), alice.accessToken()).status() == 200 ? true : null);
        eventually("alice's message on hs2", () -> hs2.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/event/"
                + MatrixClient.encode(fromAlice), bob.accessToken()).status() == 200 ? true : null);

        redact(hs1, alice, room, fromAlice, "a1").expect(200);
        redact(hs2, bob, room, fromBob, "b1").expect(200);
        eventually("alice's redaction on hs2", () -> isRedacted(event(hs2, bob, room, fromAlice)) ? true : null);
        eventually("bob's redaction on hs1", () -> isRedacted(event(hs1, alice, room, fromBob)) ? true : null);
        assertThat(event(hs2, bob, room, fromAlice).get("content")).isEqualTo(Map.of());
        assertThat(event(hs1, alice, room, fromBob).get("content")).isEqualTo(Map.of());
    }
}
