package org.vestibule.clientapi;

import static org.vestibule.support.TestNames.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/** The client-server subset against a whole server and real PostgreSQL: success and error shapes. */
@VestibuleIntegrationTest
class RoomsIntegrationTests {

    @LocalServerPort
    int port;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    @Test
    void restrictedRoomLetsMembersOfTheAllowedSpaceJoinAndRefusesOthers() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        User carol = client.register(unique("carol"));
        String space = client.createRoom(alice, Map.of("preset", "public_chat", "creation_content", Map.of("type", "m.space")));
        String room = client.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10",
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", MatrixClient.restrictedJoinRules(space)))));

        MatrixClient.Response refused = client.join(bob, room);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(refused.error()).contains(space).contains("not joined");

        client.join(bob, space).expect(200);
        client.join(bob, room).expect(200);
        MatrixClient.Response member = client.getState(bob, room, "m.room.member", bob.userId()).expect(200);
        assertThat(member.body()).containsEntry("membership", "join")
                .containsEntry("join_authorised_via_users_server", alice.userId());

        MatrixClient.Response third = client.join(carol, room);
        assertThat(third.status()).isEqualTo(403);
        assertThat(third.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(third.error()).contains(space);
        assertThat(client.joinedMembers(alice, room)).containsOnlyKeys(alice.userId(), bob.userId());
    }

    @Test
    void malformedJoinRulesAreAcceptedAsStateAndAllowNoRestrictedJoin() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String space = client.createRoom(alice, Map.of("preset", "public_chat"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10",
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", MatrixClient.restrictedJoinRules(space)))));
        client.join(bob, space).expect(200);
        // Complement: allow ["invalid"] and allow "invalid" are stored like any state (200) ...
        for (Object allow : List.of(List.of("invalid"), "invalid")) {
            client.sendState(alice, room, "m.room.join_rules", "", Map.of("join_rule", "restricted", "allow", allow))
                    .expect(200);
            // ... and then no condition is valid, so even a member of the space is refused.
            MatrixClient.Response r = client.join(bob, room);
            assertThat(r.status()).as("allow %s", allow).isEqualTo(403);
            assertThat(r.errcode()).isEqualTo("M_FORBIDDEN");
            assertThat(r.error()).contains("no valid allowed room");
        }
    }

    @Test
    void createRoomAppliesThePresetAndOverrides() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat", "name", "Lobby", "topic", "Hello",
                "power_level_content_override", Map.of("events_default", 10)));
        assertThat(client.getState(alice, room, "m.room.join_rules", "").expect(200).body()).containsEntry("join_rule", "public");
        Map<String, Object> pl = client.getState(alice, room, "m.room.power_levels", "").expect(200).body();
        assertThat(pl).containsEntry("invite", 50L).containsEntry("events_default", 10L);
        assertThat(client.getState(alice, room, "m.room.name", "").expect(200).body()).containsEntry("name", "Lobby");
        assertThat(client.getState(alice, room, "m.room.topic", "").expect(200).body()).containsEntry("topic", "Hello")
                .containsEntry("m.topic", Map.of("m.text", List.of(Map.of("mimetype", "text/plain", "body", "Hello"))));
        assertThat(client.getState(alice, room, "m.room.create", "").expect(200).body()).containsEntry("room_version", "10");
    }

    @Test
    void aPrivatePresetLetsEveryMemberInviteAndIsDirectMarksTheInvites() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        User carol = client.register(unique("carol"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat", "invite", List.of(bob.userId()),
                "is_direct", true));
        assertThat(client.getState(alice, room, "m.room.power_levels", "").expect(200).body()).containsEntry("invite", 0L);
        assertThat(client.getState(alice, room, "m.room.member", bob.userId()).expect(200).body())
                .containsEntry("membership", "invite").containsEntry("is_direct", true);
        client.join(bob, room).expect(200);
        // bob, at level 0, invites carol; without is_direct an invite does not carry it.
        client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", bob.accessToken(),
                Map.of("user_id", carol.userId())).expect(200);
        assertThat(client.getState(alice, room, "m.room.member", carol.userId()).expect(200).body())
                .containsEntry("membership", "invite").doesNotContainKey("is_direct");
        String trusted = client.createRoom(alice, Map.of("preset", "trusted_private_chat"));
        assertThat(client.getState(alice, trusted, "m.room.power_levels", "").expect(200).body()).containsEntry("invite", 0L);
    }

    @Test
    void aKickIsRefusedForAUserNotInTheRoomAndWithdrawsAnInvite() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String kick = "/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/kick";

        MatrixClient.Response never = client.post(kick, alice.accessToken(), Map.of("user_id", bob.userId()));
        assertThat(never.status()).isEqualTo(403);
        assertThat(never.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(never.error()).contains(bob.userId()).contains("not in").contains("never a member");

        client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", alice.accessToken(),
                Map.of("user_id", bob.userId())).expect(200);
        client.post(kick, alice.accessToken(), Map.of("user_id", bob.userId(), "reason", "changed my mind")).expect(200);
        assertThat(client.getState(alice, room, "m.room.member", bob.userId()).expect(200).body())
                .containsEntry("membership", "leave").containsEntry("reason", "changed my mind");

        MatrixClient.Response gone = client.post(kick, alice.accessToken(), Map.of("user_id", bob.userId()));
        assertThat(gone.status()).as("kicking one already gone").isEqualTo(403);
        assertThat(gone.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(gone.error()).contains("membership: leave");
    }

    @Test
    void aStateEventIsServedWholeWithFormatEvent() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String path = "/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/state/m.room.member/"
                + MatrixClient.encode(alice.userId());

        Map<String, Object> event = client.get(path + "?format=event", alice.accessToken()).expect(200).body();
        assertThat(event).containsEntry("type", "m.room.member").containsEntry("state_key", alice.userId())
                .containsEntry("sender", alice.userId()).containsEntry("room_id", room).containsKeys("event_id", "unsigned");
        assertThat(event.get("content")).isEqualTo(Map.of("membership", "join"));
        assertThat(client.get(path + "?format=content", alice.accessToken()).expect(200).body())
                .containsEntry("membership", "join").doesNotContainKey("sender");

        MatrixClient.Response bad = client.get(path + "?format=xml", alice.accessToken());
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errcode()).isEqualTo("M_INVALID_PARAM");
    }

    @Test
    void logoutAllEndsEverySessionOfTheUser() {
        String name = unique("erin");
        User erin = client.register(name);
        String second = passwordLogin(name, "pw-" + name)
                .expect(200).string("access_token");
        User other = client.register(unique("frank"));

        client.post("/_matrix/client/v3/logout/all", second, Map.of()).expect(200);

        for (String token : List.of(erin.accessToken(), second)) {
            MatrixClient.Response gone = client.get("/_matrix/client/v3/account/whoami", token);
            assertThat(gone.status()).isEqualTo(401);
            assertThat(gone.errcode()).isEqualTo("M_UNKNOWN_TOKEN");
        }
        assertThat(client.get("/_matrix/client/v3/account/whoami", other.accessToken()).status())
                .as("another user's session").isEqualTo(200);
        String again = passwordLogin(name, "pw-" + name)
                .expect(200).string("access_token");
        assertThat(client.get("/_matrix/client/v3/devices", again).expect(200).body().get("devices"))
                .asList().hasSize(1);
    }

    @Test
    void unsupportedRoomVersion() {
        User alice = client.register(unique("alice"));
        MatrixClient.Response r = client.post("/_matrix/client/v3/createRoom", alice.accessToken(), Map.of("room_version", "99"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errcode()).isEqualTo("M_UNSUPPORTED_ROOM_VERSION");
    }

    @Test
    void tokensAreRequiredAndChecked() {
        MatrixClient.Response missing = client.get("/_matrix/client/v3/account/whoami", null);
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.errcode()).isEqualTo("M_MISSING_TOKEN");
        MatrixClient.Response unknown = client.get("/_matrix/client/v3/account/whoami", "nope");
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(unknown.errcode()).isEqualTo("M_UNKNOWN_TOKEN");
    }

    @Test
    void registerLoginWhoamiLogout() {
        String name = unique("dave");
        User dave = client.register(name);
        assertThat(client.get("/_matrix/client/v3/account/whoami", dave.accessToken()).expect(200).body())
                .containsEntry("user_id", dave.userId());
        MatrixClient.Response taken = client.post("/_matrix/client/v3/register", null, Map.of("username", name,
                "password", "x", "auth", Map.of("type", "m.login.dummy")));
        assertThat(taken.status()).isEqualTo(400);
        assertThat(taken.errcode()).isEqualTo("M_USER_IN_USE");
        MatrixClient.Response login = passwordLogin(name, "pw-" + name).expect(200);
        String token = login.string("access_token");
        client.post("/_matrix/client/v3/logout", token, Map.of()).expect(200);
        assertThat(client.get("/_matrix/client/v3/account/whoami", token).errcode()).isEqualTo("M_UNKNOWN_TOKEN");
        MatrixClient.Response wrong = passwordLogin(name, "bad");
        assertThat(wrong.status()).isEqualTo(403);
        assertThat(wrong.errcode()).isEqualTo("M_FORBIDDEN");
    }

    @Test
    void sendIsIdempotentPerTransactionId() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of("preset", "private_chat"));
        String path = "/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/send/m.room.message/txn1";
        String first = client.put(path, alice.accessToken(), Map.of("body", "hi", "msgtype", "m.text")).expect(200).string("event_id");
        String second = client.put(path, alice.accessToken(), Map.of("body", "hi", "msgtype", "m.text")).expect(200).string("event_id");
        assertThat(second).isEqualTo(first);
    }

    @Test
    void badJsonIsA400() {
        User alice = client.register(unique("alice"));
        MatrixClient.Response r = client.request("POST", "/_matrix/client/v3/createRoom", alice.accessToken(),
                "{not json".getBytes());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errcode()).isEqualTo("M_NOT_JSON");
        MatrixClient.Response floaty = client.request("POST", "/_matrix/client/v3/createRoom", alice.accessToken(),
                "{\"name\": 1.5}".getBytes());
        assertThat(floaty.status()).isEqualTo(400);
    }

    private MatrixClient.Response passwordLogin(String name, String password) {
        return client.post("/_matrix/client/v3/login", null, Map.of("type", "m.login.password",
                "identifier", Map.of("type", "m.id.user", "user", name), "password", password));
    }
}
