package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.Json;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationResponse;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Joining through a resident that misbehaves (a fake server listed first): 404, 502, a timeout
 * and garbage make us fail over to the real resident; a 403 stops us; a send_join answer with a
 * badly signed state event still gives a sound join, without that event. Never a stuck request
 * nor a half-written room.
 */
class MisbehavingResidentIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static FakeFederationServer fake;
    static User alice;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2, "--vestibule.federation.request-timeout=2s");
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        fake = FakeFederationServer.start();
        alice = hs1.register("alice");
    }

    @AfterAll
    static void stop() {
        fake.close();
        servers.close();
    }

    @BeforeEach
    void reset() {
        fake.clearRequests();
    }

    private String room() {
        return hs1.createRoom(alice, Map.of("preset", "public_chat", "name", "Lobby"));
    }

    private void assertJoinsThroughTheRealResident(String makeJoinAnswerKind, FakeFederationServer.Handler handler) {
        String room = room();
        fake.onPrefix("/_matrix/federation/v1/make_join/", handler);
        User bob = hs2.register(unique("bob"));
        hs2.join(bob, room, fake.serverName(), servers.get(0).serverName()).expect(200);
        assertThat(fake.hits("/_matrix/federation/v1/make_join/" + FederationClient.pathSegment(room) + "/"
                + FederationClient.pathSegment(bob.userId()))).as(makeJoinAnswerKind).isEqualTo(1);
        assertThat(hs1.joinedMembers(alice, room)).containsKey(bob.userId());
    }

    @Test
    void failsOverAfterNotFound() {
        assertJoinsThroughTheRealResident("404", r -> Reply.json(404, Map.of("errcode", "M_NOT_FOUND", "error", "no")));
    }

    @Test
    void failsOverAfterBadGateway() {
        assertJoinsThroughTheRealResident("502", r -> Reply.raw(502, "text/html", "<html>bad gateway</html>"));
    }

    @Test
    void failsOverAfterATimeout() {
        assertJoinsThroughTheRealResident("timeout", r -> {
            Thread.sleep(5_000);
            return Reply.json(200, Map.of());
        });
    }

    @Test
    void failsOverAfterGarbage() {
        assertJoinsThroughTheRealResident("garbage", r -> Reply.raw(200, "application/json", "{\"room_version\": "));
        assertJoinsThroughTheRealResident("not a template", r -> Reply.json(200, Map.of("room_version", "10",
                "event", Map.of("type", "m.room.message"))));
    }

    @Test
    void stopsAtAForbiddenAndPassesItOn() {
        String room = room();
        fake.onPrefix("/_matrix/federation/v1/make_join/", r -> Reply.json(403, Map.of("errcode", "M_FORBIDDEN",
                "error", "You are not invited to this room.")));
        User bob = hs2.register(unique("bob"));
        MatrixClient.Response r = hs2.join(bob, room, fake.serverName(), servers.get(0).serverName());
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(r.error()).contains(fake.serverName()).contains("You are not invited");
        assertThat(hs1.joinedMembers(alice, room)).doesNotContainKey(bob.userId());
    }

    @Test
    void listsEveryServersAnswerWhenAllFail() {
        String room = room();
        fake.onPrefix("/_matrix/federation/v1/make_join/", r -> Reply.raw(502, "text/plain", "down"));
        User bob = hs2.register(unique("bob"));
        MatrixClient.Response r = hs2.join(bob, room, fake.serverName(), "localhost:1");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.error()).contains(fake.serverName() + " (make_join): 502").contains("localhost:1 (make_join)");
    }

    @Test
    void badlySignedStateEventIsLeftOutOfASoundJoin() {
        String room = room();
        FederationClient asHs2 = servers.get(1).bean(FederationClient.class);
        String real = servers.get(0).serverName();
        // The fake relays to the real resident, then corrupts the name event's signed fields.
        fake.onPrefix("/_matrix/federation/v1/make_join/", r -> relay(() -> asHs2.get(real, r.uri())));
        fake.onPrefix("/_matrix/federation/v2/send_join/", r -> {
            Map<String, Object> event = StrictJsonParser.parseObject(r.body(),
                    StrictJsonParser.Limits.REQUEST);
            Reply reply = relay(() -> asHs2.put(real, r.uri(), event));
            Map<String, Object> answer = Json.mutableCopy(StrictJsonParser.parseObject(reply.body(),
                    StrictJsonParser.Limits.RESPONSE));
            List<Object> state = new ArrayList<>();
            for (Object o : Json.list(answer, "state")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> e = new LinkedHashMap<>((Map<String, Object>) o);
                if ("m.room.name".equals(e.get("type"))) {
                    e.put("origin_server_ts", 42L); // covered by the signature: it no longer verifies
                }
                state.add(e);
            }
            answer.put("state", state);
            return Reply.json(200, answer);
        });
        User bob = hs2.register(unique("bob"));
        hs2.join(bob, room, fake.serverName()).expect(200);
        assertThat(hs1.joinedMembers(alice, room)).containsKey(bob.userId());
        // hs2 has the room without the tampered name event, and its state is otherwise whole.
        assertThat(hs2.getState(bob, room, "m.room.name", "").status()).isEqualTo(404);
        assertThat(hs2.getState(bob, room, "m.room.create", "").status()).isEqualTo(200);
        assertThat(hs2.getState(bob, room, "m.room.power_levels", "").status()).isEqualTo(200);
        JdbcTemplate db = servers.get(1).bean(JdbcTemplate.class);
        assertThat(db.queryForObject("select count(*) from events where room_id = ? and type = 'm.room.name'",
                Long.class, room)).isZero();
    }

    /** A state that cannot carry our join fails the join with a message a person can read, not Java's record syntax. */
    @Test
    void aStateThatDoesNotAllowOurJoinIsRefusedInWords() {
        String room = room();
        FederationClient asHs2 = servers.get(1).bean(FederationClient.class);
        String real = servers.get(0).serverName();
        fake.onPrefix("/_matrix/federation/v1/make_join/", r -> relay(() -> asHs2.get(real, r.uri())));
        fake.onPrefix("/_matrix/federation/v2/send_join/", r -> {
            Map<String, Object> event = StrictJsonParser.parseObject(r.body(),
                    StrictJsonParser.Limits.REQUEST);
            Reply reply = relay(() -> asHs2.put(real, r.uri(), event));
            Map<String, Object> answer = Json.mutableCopy(StrictJsonParser.parseObject(reply.body(),
                    StrictJsonParser.Limits.RESPONSE));
            for (String key : List.of("state", "auth_chain")) {
                answer.put(key, Json.list(answer, key).stream()
                        .filter(o -> !"m.room.join_rules".equals(((Map<?, ?>) o).get("type"))).toList());
            }
            return Reply.json(200, answer);
        });
        User bob = hs2.register(unique("bob"));
        MatrixClient.Response r = hs2.join(bob, room, fake.serverName());
        assertThat(r.status()).as(r.raw()).isEqualTo(502);
        assertThat(r.error()).contains(fake.serverName() + " (send_join): The room's state as the resident sent it "
                + "does not allow our join: ").doesNotContain("Pdu[", "Rejected[", "MissingEvents[", ": 200 ");
    }

    @FunctionalInterface
    interface Call {
        FederationResponse run();
    }

    static Reply relay(Call call) {
        try {
            return new Reply(200, Map.of("Content-Type", "application/json"), call.run().body());
        } catch (FederationErrorResponseException e) {
            return new Reply(e.status(), Map.of("Content-Type", "application/json"), e.body());
        }
    }
}
