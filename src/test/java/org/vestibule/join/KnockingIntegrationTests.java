package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.room.OutOfBandMemberships;
import org.vestibule.room.RoomMemberships;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Knocking across three Vestibule servers, following Complement's tests/knocking_test.go
 * (doTestKnocking, for room version 7 with {@code knock} and version 10 with
 * {@code knock_restricted}) and tests/knock_restricted_test.go: hs1 holds the room, hs3 has a
 * member who must see knocks arrive, hs2's users knock from outside. Every refusal asserts the
 * status and errcode the client sees.
 */
class KnockingIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static MatrixClient hs3;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(3);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs3 = new MatrixClient(servers.get(2).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static String name(int i) {
        return servers.get(i).serverName();
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    static void assertError(Answer a, int status, String errcode) {
        assertThat(a.status()).as(String.valueOf(a.json())).isEqualTo(status);
        assertThat(a.errcode()).as(String.valueOf(a.json())).isEqualTo(errcode);
    }

    static Response knock(MatrixClient client, User user, String roomIdOrAlias, String reason, String... via) {
        StringBuilder q = new StringBuilder();
        for (String v : via) {
            q.append(q.length() == 0 ? "?" : "&").append("server_name=").append(MatrixClient.encode(v));
        }
        return client.post("/_matrix/client/v3/knock/" + MatrixClient.encode(roomIdOrAlias) + q, user.accessToken(),
                reason == null ? Map.of() : Map.of("reason", reason));
    }

    static Response act(User actor, String room, String action, String target) {
        return hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/" + action, actor.accessToken(),
                Map.of("user_id", target));
    }

    static Map<String, Object> member(MatrixClient client, User reader, String room, String userId) {
        Response r = client.getState(reader, room, "m.room.member", userId);
        return r.status() == 200 ? r.body() : Map.of();
    }

    static void waitForMembership(MatrixClient client, User reader, String room, String userId, String membership) {
        until(userId + "'s " + membership + " as " + reader.userId() + " sees it",
                () -> membership.equals(member(client, reader, room, userId).get("membership")));
    }

    static Optional<OutOfBandMemberships.Entry> pending(int server, String room, String userId) {
        return servers.get(server).bean(OutOfBandMemberships.class).pending(room, userId);
    }

    /** A room on hs1 where alice is admin and david (hs3) is a member; invite-only to start with. */
    record Setup(User alice, User david, String room) {}

    static Setup setup(String version) {
        User alice = hs1.register(unique("alice"));
        User david = hs3.register(unique("david"));
        String room = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", version));
        act(alice, room, "invite", david.userId()).expect(200);
        hs3.join(david, room).expect(200);
        waitForMembership(hs1, alice, room, david.userId(), "join");
        return new Setup(alice, david, room);
    }

    /** Complement's doTestKnocking for one knocker (local on hs1, or remote on hs2). */
    static void knockingSequence(String version, String joinRule, boolean remote) {
        Setup s = setup(version);
        MatrixClient client = remote ? hs2 : hs1;
        User knocker = client.register(unique(remote ? "charlie" : "bob"));
        String room = s.room();
        String via = name(0);

        // Invite-only: knocking is refused, locally and as hs1's answer passed through hs2.
        assertError(knock(client, knocker, room, "let me in", via), 403, "M_FORBIDDEN");
        hs1.sendState(s.alice(), room, "m.room.join_rules", "", Map.of("join_rule", joinRule)).expect(200);
        waitForMembership(hs3, s.david(), room, s.david().userId(), "join");
        until("the new join rule on hs3", () -> joinRule.equals(hs3.getState(s.david(), room, "m.room.join_rules", "")
                .body().get("join_rule")));

        // Joining without an invite is still refused: exactly 403.
        assertError(client.join(knocker, room, via), 403, "M_FORBIDDEN");

        // Knock, and knock again.
        Response knocked = knock(client, knocker, room, "Let me in", via).expect(200);
        assertThat(knocked.string("room_id")).isEqualTo(room);
        knock(client, knocker, room, "Please", via).expect(200);
        Map<String, Object> onResident = member(hs1, s.alice(), room, knocker.userId());
        assertThat(onResident).containsEntry("membership", "knock").containsEntry("reason", "Please");
        waitForMembership(hs3, s.david(), room, knocker.userId(), "knock");
        if (remote) {
            OutOfBandMemberships.Entry pending = pending(1, room, knocker.userId()).orElseThrow();
            assertThat(pending.membership()).isEqualTo("knock");
            assertThat(pending.servers()).startsWith(via);
            assertThat(pending.strippedState()).extracting(e -> e.get("type"))
                    .contains("m.room.create", "m.room.join_rules", "m.room.member");
            assertThat(pending.strippedState()).allSatisfy(e -> assertThat(e.keySet())
                    .isSubsetOf("type", "state_key", "content", "sender"));
        }

        // Rescind with leave, then knock again.
        client.leave(knocker, room).expect(200);
        waitForMembership(hs1, s.alice(), room, knocker.userId(), "leave");
        assertThat(member(hs1, s.alice(), room, knocker.userId())).containsEntry("membership", "leave");
        if (remote) {
            assertThat(pending(1, room, knocker.userId())).isEmpty();
        }
        knock(client, knocker, room, "Again", via).expect(200);

        // Rejected (kicked), then knock again, without a reason this time.
        act(s.alice(), room, "kick", knocker.userId()).expect(200);
        waitForMembership(hs3, s.david(), room, knocker.userId(), "leave");
        if (remote) {
            until("the refusal to reach hs2", () -> pending(1, room, knocker.userId()).isEmpty());
        }
        knock(client, knocker, room, null, via).expect(200);
        assertThat(member(hs1, s.alice(), room, knocker.userId())).containsEntry("membership", "knock")
                .doesNotContainKey("reason");

        // Accepted with an invite; knocking while invited is refused.
        act(s.alice(), room, "invite", knocker.userId()).expect(200);
        if (remote) {
            assertThat(pending(1, room, knocker.userId()).orElseThrow().membership()).isEqualTo("invite");
        }
        assertError(knock(client, knocker, room, null, via), 403, "M_FORBIDDEN");

        // Join; knocking while joined is refused.
        client.join(knocker, room, via).expect(200);
        waitForMembership(hs1, s.alice(), room, knocker.userId(), "join");
        assertError(knock(client, knocker, room, null, via), 403, "M_FORBIDDEN");

        // Banned; knocking is refused.
        act(s.alice(), room, "ban", knocker.userId()).expect(200);
        if (remote) {
            waitForMembership(hs1, s.alice(), room, knocker.userId(), "ban");
            until("the ban on hs2", () -> !servers.get(1).bean(RoomMemberships.class)
                    .isServerJoined(room, name(1)));
        }
        assertError(knock(client, knocker, room, null, via), 403, "M_FORBIDDEN");
    }

    @Test
    void localKnockerInAKnockRoom() {
        knockingSequence("7", "knock", false);
    }

    @Test
    void remoteKnockerInAKnockRoom() {
        knockingSequence("7", "knock", true);
    }

    @Test
    void localKnockerInAKnockRestrictedRoom() {
        knockingSequence("10", "knock_restricted", false);
    }

    @Test
    void remoteKnockerInAKnockRestrictedRoom() {
        knockingSequence("10", "knock_restricted", true);
    }

    @Test
    void knockRestrictedLetsMembersOfTheAllowedRoomJoinAndOthersKnock() {
        User alice = hs1.register(unique("alice"));
        User member = hs2.register(unique("member"));
        User outsider = hs2.register(unique("outsider"));
        String allowed = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10",
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", Map.of("join_rule", "knock_restricted", "allow", List.of(Map.of(
                                "type", "m.room_membership", "room_id", allowed, "via", List.of(name(0)))))))));

        hs2.join(member, allowed, name(0)).expect(200);
        hs2.join(member, room, name(0)).expect(200);
        waitForMembership(hs1, alice, room, member.userId(), "join");
        assertThat(member(hs1, alice, room, member.userId()))
                .containsEntry("join_authorised_via_users_server", alice.userId());

        Response refused = hs2.join(outsider, room, name(0));
        assertError(refused, 403, "M_FORBIDDEN");
        assertThat(refused.error()).contains(allowed);
        knock(hs2, outsider, room, "not a member of the space", name(0)).expect(200);
        waitForMembership(hs1, alice, room, outsider.userId(), "knock");

        // The member's server is in the room now but cannot authorise (PL 0): the restricted errcodes apply.
        User other = hs3.register(unique("other"));
        hs3.join(other, allowed, name(0)).expect(200);
        // hs2 hears of that join from hs1 through its queue: only then does it know other qualifies.
        waitForMembership(hs2, member, allowed, other.userId(), "join");
        assertError(hs3.join(other, room, name(1)), 400, "M_UNABLE_TO_GRANT_JOIN");
        hs3.join(other, room, name(1), name(0)).expect(200);
    }

    @Test
    void knockByRemoteAlias() {
        User alice = hs1.register(unique("alice"));
        User charlie = hs2.register(unique("charlie"));
        String name = unique("knockers");
        String room = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", "7", "room_alias_name", name,
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", Map.of("join_rule", "knock")))));
        String alias = "#" + name + ":" + name(0);
        Response knocked = knock(hs2, charlie, alias, "by alias").expect(200);
        assertThat(knocked.string("room_id")).isEqualTo(room);
        assertThat(member(hs1, alice, room, charlie.userId())).containsEntry("membership", "knock");
        assertError(knock(hs2, charlie, "#unknown:" + name(0), null), 404, "M_NOT_FOUND");
        assertError(knock(hs2, charlie, "not-a-room", null), 400, "M_INVALID_PARAM");
        assertError(knock(hs2, charlie, "!unknown:" + name(2), null), 404, "M_NOT_FOUND");
    }

    // ---- make_knock and send_knock as a peer sees them: hs2 plays the knocking server by hand ----

    static Answer makeKnock(FederationDriver driver, String room, String userId, String query) {
        return driver.get(name(0), "/_matrix/federation/v1/make_knock/" + MatrixClient.encode(room) + "/"
                + MatrixClient.encode(userId) + query);
    }

    static Answer sendKnock(FederationDriver driver, Pdu event) {
        return driver.put(name(0), "/_matrix/federation/v1/send_knock/" + MatrixClient.encode(event.roomId()) + "/"
                + MatrixClient.encode(event.eventId()), event.json());
    }

    @Test
    void sendKnockRefusesWhatIsNotAKnockAndMakeKnockItsErrors() {
        FederationDriver driver = new FederationDriver(servers.get(1));
        User alice = hs1.register(unique("alice"));
        for (String[] variant : List.of(new String[] {"7", "knock"}, new String[] {"10", "knock_restricted"})) {
            String room = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", variant[0],
                    "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                            "content", Map.of("join_rule", variant[1])))));
            String user = driver.userId(unique("k"));
            Answer made = makeKnock(driver, room, user, "?ver=" + variant[0]);
            assertThat(made.status()).as(String.valueOf(made.json())).isEqualTo(200);
            assertThat(made.body()).containsEntry("room_version", variant[0]);
            assertThat(Json.object(made.event(), "content")).containsEntry("membership", "knock");
            assertThat(made.event()).containsEntry("origin", name(0));

            // Complement TestCannotSendNonKnockViaSendKnock: a join, a leave, a message: 400.
            for (Map<String, Object> content : List.of(Map.<String, Object>of("membership", "join"),
                    Map.<String, Object>of("membership", "leave"))) {
                Pdu wrong = driver.sign(made.event(), variant[0], e -> e.put("content", content));
                assertError(sendKnock(driver, wrong), 400, "M_INVALID_PARAM");
            }
            Pdu message = driver.sign(made.event(), variant[0], e -> {
                e.put("type", "m.room.message");
                e.remove("state_key");
                e.put("content", Map.of("body", "hello"));
            });
            assertError(sendKnock(driver, message), 400, "M_INVALID_PARAM");
            Pdu otherUser = driver.sign(made.event(), variant[0], e -> e.put("state_key", driver.userId("someone")));
            assertError(sendKnock(driver, otherUser), 400, "M_INVALID_PARAM");

            Pdu knock = driver.sign(made.event(), variant[0], null);
            Answer sent = sendKnock(driver, knock);
            assertThat(sent.status()).as(String.valueOf(sent.json())).isEqualTo(200);
            List<Object> state = FederationDriver.list(sent.body(), "knock_room_state");
            assertThat(state).extracting(o -> (Object) ((Map<?, ?>) o).get("type"))
                    .contains("m.room.create", "m.room.join_rules");
            assertThat(state).allSatisfy(o -> assertThat(Json.object(Map.of("e", o), "e")).containsKeys("signatures", "hashes"));
            assertThat(member(hs1, alice, room, user)).containsEntry("membership", "knock");
        }

        String knockRoom = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", "7",
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", Map.of("join_rule", "knock")))));
        String user = driver.userId(unique("k"));
        assertError(makeKnock(driver, knockRoom, user, ""), 400, "M_MISSING_PARAM");
        Answer incompatible = makeKnock(driver, knockRoom, user, "?ver=6&ver=8");
        assertError(incompatible, 400, "M_INCOMPATIBLE_ROOM_VERSION");
        assertThat(incompatible.body()).containsEntry("room_version", "7");
        assertError(makeKnock(driver, knockRoom, "@x:elsewhere.example", "?ver=7"), 403, "M_FORBIDDEN");
        assertError(makeKnock(driver, "!unknown:" + name(0), user, "?ver=7"), 404, "M_NOT_FOUND");
        String inviteOnly = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", "7"));
        assertError(makeKnock(driver, inviteOnly, user, "?ver=7"), 403, "M_FORBIDDEN");
        String tooOld = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", "6",
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", Map.of("join_rule", "knock")))));
        assertError(makeKnock(driver, tooOld, user, "?ver=6"), 403, "M_FORBIDDEN");

        // A knock made before a ban is refused at send_knock; make_knock refuses the banned too.
        String banned = driver.userId(unique("banned"));
        Answer made = makeKnock(driver, knockRoom, banned, "?ver=7");
        assertThat(made.status()).isEqualTo(200);
        act(alice, knockRoom, "ban", banned).expect(200);
        assertError(makeKnock(driver, knockRoom, banned, "?ver=7"), 403, "M_FORBIDDEN");
        assertError(sendKnock(driver, driver.sign(made.event(), "7", null)), 403, "M_FORBIDDEN");
    }
}
