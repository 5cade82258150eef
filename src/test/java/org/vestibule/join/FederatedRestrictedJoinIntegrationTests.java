package org.vestibule.join;

import static org.vestibule.support.TestNames.unique;
import static org.vestibule.support.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Three Vestibule servers over HTTPS on loopback, following Complement's restricted-room tests
 * (tests/restricted_rooms_test.go): remote joins through an authorising resident, events flowing
 * both ways afterwards, failover between residents, and refusals passed through to clients.
 */
class FederatedRestrictedJoinIntegrationTests {

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


    static String restrictedRoom(MatrixClient client, User creator, String version, String joinRule, String allowed) {
        return client.createRoom(creator, Map.of("preset", "public_chat", "room_version", version,
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", Map.of("join_rule", joinRule, "allow",
                                List.of(Map.of("type", "m.room_membership", "room_id", allowed,
                                        "via", List.of(creator.userId().substring(creator.userId().indexOf(':') + 1)))))))));
    }

    @Test
    void remoteJoinThroughTheAuthorisingResidentThenEventsFlowBothWays() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String allowed = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restrictedRoom(hs1, alice, "10", "restricted", allowed);

        MatrixClient.Response refused = hs2.join(bob, room, name(0));
        assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(refused.error()).contains(allowed);

        hs2.join(bob, allowed, name(0)).expect(200);
        hs2.join(bob, room, name(0)).expect(200);

        Map<String, Object> bobOnHs1 = eventually("bob's join on hs1", () -> {
            MatrixClient.Response r = hs1.getState(alice, room, "m.room.member", bob.userId());
            return r.status() == 200 ? r.body() : null;
        });
        assertThat(bobOnHs1).containsEntry("membership", "join")
                .containsEntry("join_authorised_via_users_server", alice.userId());
        assertThat(hs1.joinedMembers(alice, room)).containsKeys(alice.userId(), bob.userId());

        // hs1 → hs2: a message and a state change.
        String message = hs1.sendMessage(alice, room, "hello from hs1").expect(200).string("event_id");
        hs1.sendState(alice, room, "m.room.topic", "", Map.of("topic", "from hs1")).expect(200);
        eventually("alice's message on hs2", () -> hs2.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room)
                + "/event/" + MatrixClient.encode(message), bob.accessToken()).status() == 200 ? true : null);
        eventually("the topic on hs2", () -> "from hs1".equals(hs2.getState(bob, room, "m.room.topic", "").body()
                .get("topic")) ? true : null);

        // hs2 → hs1.
        String reply = hs2.sendMessage(bob, room, "hello from hs2").expect(200).string("event_id");
        eventually("bob's message on hs1", () -> hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room)
                + "/event/" + MatrixClient.encode(reply), alice.accessToken()).status() == 200 ? true : null);

        // Complement: a join->join carrying a client-supplied authoriser succeeds, the field stripped.
        hs2.sendState(bob, room, "m.room.member", bob.userId(), Map.of("membership", "join", "displayname", "Bobby",
                "join_authorised_via_users_server", "unused")).expect(200);
        eventually("bob's new displayname on hs1", () -> "Bobby".equals(hs1.getState(alice, room, "m.room.member",
                bob.userId()).body().get("displayname")) ? true : null);

        // Leaving the allowed room closes the door again; hs1's 403 reaches bob.
        hs2.leave(bob, room).expect(200);
        hs2.leave(bob, allowed).expect(200);
        eventually("bob's leave of the allowed room on hs1", () -> "leave".equals(hs1.getState(alice, allowed,
                "m.room.member", bob.userId()).body().get("membership")) ? true : null);
        eventually("bob's leave of the room on hs1", () -> "leave".equals(hs1.getState(alice, room,
                "m.room.member", bob.userId()).body().get("membership")) ? true : null);
        MatrixClient.Response again = hs2.join(bob, room, name(0));
        assertThat(again.status()).as(again.raw()).isEqualTo(403);
        assertThat(again.errcode()).isEqualTo("M_FORBIDDEN");
    }

    @Test
    void failsOverBetweenResidentsOnUnableToGrantAndUnableToAuthorise() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        User charlie = hs3.register(unique("charlie"));
        String allowed = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restrictedRoom(hs1, alice, "10", "restricted", allowed);
        hs1.sendState(alice, room, "m.room.power_levels", "", Map.of("users", Map.of(alice.userId(), 100),
                "invite", 100, "state_default", 50, "ban", 50, "kick", 50, "redact", 50)).expect(200);

        hs2.join(bob, allowed, name(0)).expect(200);
        hs2.join(bob, room, name(0)).expect(200);
        hs3.join(charlie, allowed, name(0)).expect(200);
        // hs2 must know of charlie's join before it can vouch for it.
        eventually("charlie's join of the allowed room on hs2", () -> "join".equals(hs2.getState(bob, allowed,
                "m.room.member", charlie.userId()).body().get("membership")) ? true : null);

        // hs2 is in both rooms but bob cannot invite: hs2 answers M_UNABLE_TO_GRANT_JOIN.
        MatrixClient.Response viaHs2 = hs3.join(charlie, room, name(1));
        assertThat(viaHs2.status()).as(viaHs2.raw()).isEqualTo(400);
        assertThat(viaHs2.errcode()).isEqualTo("M_UNABLE_TO_GRANT_JOIN");
        assertThat(viaHs2.error()).contains(name(1));
        hs3.join(charlie, room, name(1), name(0)).expect(200);
        Map<String, Object> charlieOnHs2 = eventually("charlie's join on hs2", () -> {
            MatrixClient.Response r = hs2.getState(bob, room, "m.room.member", charlie.userId());
            return r.status() == 200 && "join".equals(r.body().get("membership")) ? r.body() : null;
        });
        assertThat(charlieOnHs2).containsEntry("join_authorised_via_users_server", alice.userId());

        // Now bob can invite, but hs2 no longer sees charlie in the allowed room: M_UNABLE_TO_AUTHORISE_JOIN.
        hs1.sendState(alice, room, "m.room.power_levels", "", Map.of("users", Map.of(alice.userId(), 100, bob.userId(), 100),
                "invite", 100, "state_default", 50, "ban", 50, "kick", 50, "redact", 50)).expect(200);
        hs3.leave(charlie, room).expect(200);
        eventually("charlie's leave on hs1", () -> "leave".equals(hs1.getState(alice, room, "m.room.member",
                charlie.userId()).body().get("membership")) ? true : null);
        eventually("charlie's leave on hs2", () -> "leave".equals(hs2.getState(bob, room, "m.room.member",
                charlie.userId()).body().get("membership")) ? true : null);
        hs2.leave(bob, allowed).expect(200);
        eventually("bob's leave of the allowed room on hs1", () -> "leave".equals(hs1.getState(alice, allowed,
                "m.room.member", bob.userId()).body().get("membership")) ? true : null);

        MatrixClient.Response unverifiable = hs3.join(charlie, room, name(1));
        assertThat(unverifiable.status()).as(unverifiable.raw()).isEqualTo(400);
        assertThat(unverifiable.errcode()).isEqualTo("M_UNABLE_TO_AUTHORISE_JOIN");
        hs3.join(charlie, room, name(1), name(0)).expect(200);
        eventually("charlie's second join on hs2", () -> {
            MatrixClient.Response r = hs2.getState(bob, room, "m.room.member", charlie.userId());
            return "join".equals(r.body().get("membership"))
                    && alice.userId().equals(r.body().get("join_authorised_via_users_server")) ? true : null;
        });
    }

    @Test
    void residentWithoutAnInviterJoinsItsOwnUserThroughAnotherServer() {
        User charlie = hs2.register(unique("charlie"));
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        String allowed = hs2.createRoom(charlie, Map.of("preset", "public_chat"));
        String room = restrictedRoom(hs2, charlie, "10", "restricted", allowed);
        hs1.join(alice, allowed, name(1)).expect(200);
        hs1.join(alice, room, name(1)).expect(200);

        // alice (PL 0) cannot invite: hs1 is resident but has no inviter.
        MatrixClient.Response invite = hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite",
                alice.accessToken(), Map.of("user_id", bob.userId()));
        assertThat(invite.status()).isEqualTo(403);
        assertThat(invite.errcode()).isEqualTo("M_FORBIDDEN");

        MatrixClient.Response notYet = hs1.join(bob, room, name(0));
        assertThat(notYet.status()).as(notYet.raw()).isEqualTo(403);
        hs1.join(bob, allowed, name(1)).expect(200);
        eventually("bob's membership of the allowed room on hs2", () -> "join".equals(hs2.getState(charlie, allowed,
                "m.room.member", bob.userId()).body().get("membership")) ? true : null);
        hs1.join(bob, room, name(0)).expect(200);
        Map<String, Object> bobOnHs2 = eventually("bob's join on hs2", () -> {
            MatrixClient.Response r = hs2.getState(charlie, room, "m.room.member", bob.userId());
            return r.status() == 200 && "join".equals(r.body().get("membership")) ? r.body() : null;
        });
        assertThat(bobOnHs2).containsEntry("join_authorised_via_users_server", charlie.userId());
    }

    @Test
    void invitedUserJoinsWithoutAnAuthoriserAndBannedUserIsRefused() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        User dave = hs2.register(unique("dave"));
        String allowed = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restrictedRoom(hs1, alice, "10", "restricted", allowed);
        hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", alice.accessToken(),
                Map.of("user_id", bob.userId())).expect(200);
        hs1.join(bob, room).expect(200);
        assertThat(hs1.getState(bob, room, "m.room.member", bob.userId()).body())
                .doesNotContainKey("join_authorised_via_users_server");

        hs2.join(dave, allowed, name(0)).expect(200);
        hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/ban", alice.accessToken(),
                Map.of("user_id", dave.userId())).expect(200);
        MatrixClient.Response banned = hs2.join(dave, room, name(0));
        assertThat(banned.status()).as(banned.raw()).isEqualTo(403);
        assertThat(banned.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(banned.error()).contains("banned");
    }
}
