package org.vestibule.invite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.eventually;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.outbound.TransactionQueue;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.OutOfBandMemberships;
import org.vestibule.room.StrippedState;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Invites between two Vestibule servers over HTTPS, and the invitee server's endpoint exactly as
 * an inviting peer sees it: the handshake, joining a restricted room through an invite (Complement
 * "Join should succeed when invited", remote), rejecting and rescinding invites out of band, every
 * refusal of PUT /v2/invite, the v1 endpoint, and falling back to v1 towards an old peer.
 */
class FederatedInvitesIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static String hs1Name;
    static String hs2Name;
    static FakeFederationServer oldPeer;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs1Name = servers.get(0).serverName();
        hs2Name = servers.get(1).serverName();
        oldPeer = FakeFederationServer.start().servingKeys();
    }

    @AfterAll
    static void stop() {
        servers.close();
        oldPeer.close();
    }

    static Response invite(MatrixClient client, User inviter, String room, String userId) {
        return client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", inviter.accessToken(),
                Map.of("user_id", userId));
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    static void assertError(Answer a, int status, String errcode) {
        assertThat(a.status()).as(String.valueOf(a.json())).isEqualTo(status);
        assertThat(a.errcode()).as(String.valueOf(a.json())).isEqualTo(errcode);
    }

    static Optional<OutOfBandMemberships.Entry> pending(int server, String room, String userId) {
        return servers.get(server).bean(OutOfBandMemberships.class).pending(room, userId);
    }

    static String restrictedRoom(User alice, String allowed) {
        return hs1.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10", "name", "Restricted",
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", MatrixClient.restrictedJoinRules(allowed)))));
    }

    @Test
    void invitedRemoteUserJoinsARestrictedRoomWithoutBeingInAnAllowedRoom() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String allowed = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restrictedRoom(alice, allowed);

        assertError(hs2.join(bob, room, hs1Name), 403, "M_FORBIDDEN");
        invite(hs1, alice, room, bob.userId()).expect(200);

        // hs1 stored the invite with both servers' signatures; hs2 keeps it out of band with the room's description.
        Map<String, Object> onHs1 = hs1.getState(alice, room, "m.room.member", bob.userId()).expect(200).body();
        assertThat(onHs1).containsEntry("membership", "invite");
        OutOfBandMemberships.Entry entry = pending(1, room, bob.userId()).orElseThrow();
        assertThat(entry.membership()).isEqualTo("invite");
        assertThat(entry.sender()).isEqualTo(alice.userId());
        assertThat(Json.object(entry.event().json(), "signatures")).containsKeys(hs1Name, hs2Name);
        assertThat(entry.strippedState()).extracting(e -> e.get("type")).contains("m.room.create", "m.room.join_rules",
                "m.room.name", "m.room.member");
        assertThat(entry.strippedState()).allSatisfy(e -> assertThat(e.keySet())
                .isSubsetOf("type", "state_key", "content", "sender"));
        assertThat(entry.strippedState()).anySatisfy(e -> assertThat(e).containsEntry("state_key", alice.userId())
                .containsEntry("type", "m.room.member"));
        assertThat(entry.servers()).containsExactly(hs1Name);

        // No server named: the inviter's server is a candidate; no authoriser needed for an invited user.
        hs2.join(bob, room).expect(200);
        Map<String, Object> joined = eventually("bob's join on hs1", () -> {
            Map<String, Object> m = hs1.getState(alice, room, "m.room.member", bob.userId()).body();
            return "join".equals(m.get("membership")) ? m : null;
        });
        assertThat(joined).doesNotContainKey("join_authorised_via_users_server");
        assertThat(pending(1, room, bob.userId())).isEmpty();
        assertThat(hs2.joinedMembers(bob, room)).containsKeys(alice.userId(), bob.userId());
    }

    @Test
    void inviteeRejectsThroughTheInvitersServerAndInviterRescinds() {
        User alice = hs1.register(unique("alice"));
        User carol = hs2.register(unique("carol"));
        User dave = hs2.register(unique("dave"));
        String room = hs1.createRoom(alice, Map.of("preset", "private_chat"));
        invite(hs1, alice, room, carol.userId()).expect(200);
        invite(hs1, alice, room, dave.userId()).expect(200);

        // carol rejects: hs2 is not in the room, so the leave goes through make_leave/send_leave on hs1.
        hs2.leave(carol, room).expect(200);
        Map<String, Object> rejected = hs1.getState(alice, room, "m.room.member", carol.userId()).expect(200).body();
        assertThat(rejected).containsEntry("membership", "leave");
        assertThat(pending(1, room, carol.userId())).isEmpty();
        assertThat(servers.get(1).bean(OutOfBandMemberships.class).find(room, carol.userId()))
                .hasValueSatisfying(e -> assertThat(e.membership()).isEqualTo("leave"));
        assertError(hs2.leave(carol, room), 404, "M_NOT_FOUND");

        // alice rescinds dave's invite: the leave reaches hs2, which drops the pending invite.
        hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/kick", alice.accessToken(),
                Map.of("user_id", dave.userId())).expect(200);
        until("dave's invite to be rescinded on hs2", () -> pending(1, room, dave.userId()).isEmpty());
        assertError(hs2.join(dave, room), 403, "M_FORBIDDEN");
    }

    @Test
    void anInviteToARoomTheInviteesServerIsInIsAnsweredBeforeTheInvitersTransactionComes() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        User carol = hs2.register(unique("carol"));
        User dave = hs2.register(unique("dave"));
        String room = hs1.createRoom(alice, Map.of("preset", "private_chat"));
        invite(hs1, alice, room, bob.userId()).expect(200);
        hs2.join(bob, room, hs1Name).expect(200);
        // hs1's transactions to hs2 held back: of the two invites below, hs2 gets only PUT /invite.
        JdbcTemplate jdbc = servers.get(0).bean(JdbcTemplate.class);
        jdbc.update("insert into federation_destinations (destination) values (?) on conflict do nothing", hs2Name);
        jdbc.update("update federation_destinations set retry_at_ts = ? where destination = ?",
                System.currentTimeMillis() + 3_600_000L, hs2Name);
        try {
            invite(hs1, alice, room, carol.userId()).expect(200);
            invite(hs1, alice, room, dave.userId()).expect(200);
            assertThat(pending(1, room, carol.userId())).as("an invite to a room hs2 is in is not out-of-band").isEmpty();
            assertThat(hs2.getState(bob, room, "m.room.member", carol.userId()).expect(200).body())
                    .as("hs2's state of the room has the invite already").containsEntry("membership", "invite");
            hs2.join(carol, room, hs1Name).expect(200);
            hs2.leave(dave, room).expect(200);
        } finally {
            servers.get(0).bean(TransactionQueue.class).retryNow();
        }
        until("alice seeing carol in and dave out", () -> "join".equals(hs1.getState(alice, room, "m.room.member",
                carol.userId()).body().get("membership")) && "leave".equals(hs1.getState(alice, room, "m.room.member",
                dave.userId()).body().get("membership")));
    }

    @Test
    void refusalsOfTheInviteeServerReachTheClient() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        hs1.join(bob, room).expect(200);

        assertError(invite(hs1, alice, room, "@nobody:" + hs2Name), 404, "M_NOT_FOUND");
        assertThat(hs1.getState(alice, room, "m.room.member", "@nobody:" + hs2Name).status()).isEqualTo(404);
        // bob has PL 0 < invite 50: refused here, before any federation request.
        assertError(invite(hs1, bob, room, hs2.register(unique("x")).userId()), 403, "M_FORBIDDEN");
        assertError(invite(hs1, alice, room, "@x:localhost:1"), 502, "M_UNKNOWN");
    }

    @Test
    void oldPeerGetsTheInviteThroughV1() {
        User alice = hs1.register(unique("alice"));
        String bob = "@bob:" + oldPeer.serverName();
        oldPeer.onPrefix("/_matrix/federation/v1/invite/", request -> {
            Map<String, Object> event = StrictJsonParser.parseObject(request.body(), StrictJsonParser.Limits.REQUEST);
            assertThat(Json.list(Json.object(event, "unsigned"), "invite_room_state")).isNotEmpty();
            Pdu pdu = Pdu.fromJson(event, RoomVersions.byId("1").orElseThrow());
            Pdu signed = EventSigning.addSignature(pdu, oldPeer.serverName(), oldPeer.signingKey());
            return FakeFederationServer.Reply.json(200, List.of(200, Map.of("event", signed.json())));
        });
        String v1Room = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", "1"));
        invite(hs1, alice, v1Room, bob).expect(200);
        assertThat(hs1.getState(alice, v1Room, "m.room.member", bob).expect(200).body()).containsEntry("membership", "invite");
        assertThat(oldPeer.requests()).extracting(FakeFederationServer.Recorded::path)
                .anyMatch(p -> p.startsWith("/_matrix/federation/v2/invite/"))
                .anyMatch(p -> p.startsWith("/_matrix/federation/v1/invite/"));

        // Rooms of later versions cannot be offered through v1.
        String v10Room = hs1.createRoom(alice, Map.of("preset", "private_chat", "room_version", "10"));
        assertError(invite(hs1, alice, v10Room, bob), 400, "M_UNSUPPORTED_ROOM_VERSION");
    }

    // ---- PUT /v2/invite as a peer sees it: hs2 plays the inviting server by hand ----

    /** An invite of {@code target} into a room of hs2's, signed by hs2, with optional edits before signing. */
    static Pdu hs2Invite(String version, String target, Consumer<Map<String, Object>> edit) {
        User inviter = hs2.register(unique("inviter"));
        String room = hs2.createRoom(inviter, Map.of("preset", "public_chat", "room_version", version));
        Pdu built = servers.get(1).bean(LocalEvents.class).build(room, inviter.userId(), "m.room.member", target,
                Map.of("membership", "invite"));
        if (edit == null) {
            return built;
        }
        Map<String, Object> json = Json.mutableCopy(built.json());
        json.remove("signatures");
        json.remove("hashes");
        edit.accept(json);
        return servers.get(1).bean(LocalEvents.class).sign(json, built.roomVersion());
    }

    static Answer sendInvite(Pdu invite, Object roomState) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("room_version", invite.roomVersion().id());
        body.put("event", invite.json());
        body.put("invite_room_state", roomState);
        return sendInviteBody(invite.roomId(), invite.eventId(), body);
    }

    static Answer sendInviteBody(String roomId, String eventId, Object body) {
        return new FederationDriver(servers.get(1)).put(hs1Name, "/_matrix/federation/v2/invite/"
                + MatrixClient.encode(roomId) + "/" + MatrixClient.encode(eventId), body);
    }

    static List<Object> roomStateOf(Pdu invite) {
        String inviter = invite.sender();
        return List.copyOf(servers.get(1).bean(StrippedState.class)
                .pdus(servers.get(1).bean(LocalEvents.class).snapshot(invite.roomId()).state(), inviter));
    }

    @Test
    void inviteEndpointSignsAValidInviteAndRefusesEverythingElse() {
        User bob = hs1.register(unique("bob"));
        Pdu good = hs2Invite("10", bob.userId(), null);

        // Room version problems.
        Map<String, Object> body = new LinkedHashMap<>(Map.of("event", good.json(), "invite_room_state", List.of()));
        assertError(sendInviteBody(good.roomId(), good.eventId(), body), 400, "M_MISSING_PARAM");
        body.put("room_version", "99");
        Answer unknownVersion = sendInviteBody(good.roomId(), good.eventId(), body);
        assertError(unknownVersion, 400, "M_INCOMPATIBLE_ROOM_VERSION");
        assertThat(unknownVersion.body()).containsEntry("room_version", "99");

        // The event: wrong path ID, not an invite, someone else's user, another server's sender, bad signature.
        assertError(sendInviteBody(good.roomId(), "$wrong", Map.of("room_version", "10", "event", good.json())), 400,
                "M_INVALID_PARAM");
        Pdu ban = hs2Invite("10", bob.userId(), e -> e.put("content", Map.of("membership", "ban")));
        assertError(sendInvite(ban, roomStateOf(ban)), 400, "M_INVALID_PARAM");
        Pdu elsewhere = hs2Invite("10", "@someone:" + hs2Name, null);
        assertError(sendInvite(elsewhere, roomStateOf(elsewhere)), 400, "M_INVALID_PARAM");
        User local = hs1.register(unique("local"));
        String hs1Room = hs1.createRoom(local, Map.of("preset", "public_chat"));
        Pdu notFromOrigin = servers.get(0).bean(LocalEvents.class).build(hs1Room, local.userId(), "m.room.member",
                bob.userId(), Map.of("membership", "invite"));
        assertError(sendInvite(notFromOrigin, List.of()), 400, "M_INVALID_PARAM");
        Map<String, Object> forged = Json.mutableCopy(good.json());
        Map<String, Object> sigs = Json.mutableCopy(Json.object(forged, "signatures"));
        Map<String, Object> ours = Json.mutableCopy(Json.object(sigs, hs2Name));
        ours.replaceAll((k, v) -> "A".repeat(86));
        sigs.put(hs2Name, ours);
        forged.put("signatures", sigs);
        assertError(sendInviteBody(good.roomId(), good.eventId(), Map.of("room_version", "10", "event", forged,
                "invite_room_state", roomStateOf(good))), 400, "M_INVALID_PARAM");
        assertError(sendInviteBody(good.roomId(), good.eventId(), Map.of("room_version", "10", "event", "x")), 400,
                "M_BAD_JSON");

        // An unknown user of ours.
        Pdu nobody = hs2Invite("10", "@nobody:" + hs1Name, null);
        assertError(sendInvite(nobody, roomStateOf(nobody)), 404, "M_NOT_FOUND");
        assertThat(pending(0, nobody.roomId(), "@nobody:" + hs1Name)).isEmpty();

        // Room version 12: invite_room_state must hold the create event as a signed PDU.
        Pdu v12 = hs2Invite("12", bob.userId(), null);
        assertError(sendInvite(v12, List.of()), 400, "M_INVALID_PARAM");
        List<Object> stripped = roomStateOf(v12).stream()
                .map(o -> (Object) StrippedState.strip(Json.object(Map.of("e", o), "e"))).toList();
        assertError(sendInvite(v12, stripped), 400, "M_INVALID_PARAM");
        assertThat(pending(0, v12.roomId(), bob.userId())).isEmpty();
        Answer v12Signed = sendInvite(v12, roomStateOf(v12));
        assertThat(v12Signed.status()).as(String.valueOf(v12Signed.json())).isEqualTo(200);

        // Before v1.16 servers sent plain stripped state; rooms up to v11 still take it.
        Answer accepted = sendInvite(good, List.of(Map.of("type", "m.room.create", "state_key", "", "sender",
                good.sender(), "content", Map.of("room_version", "10"))));
        assertThat(accepted.status()).as(String.valueOf(accepted.json())).isEqualTo(200);
        Map<String, Object> returned = accepted.event();
        assertThat(Json.object(returned, "signatures")).containsKeys(hs1Name, hs2Name);
        Map<String, Object> withoutSignatures = new LinkedHashMap<>(returned);
        withoutSignatures.remove("signatures");
        Map<String, Object> sent = new LinkedHashMap<>(good.json());
        sent.remove("signatures");
        assertThat(withoutSignatures).isEqualTo(sent);
        assertThat(pending(0, good.roomId(), bob.userId()).orElseThrow().strippedState())
                .extracting(e -> e.get("type")).containsExactly("m.room.create", "m.room.member");
    }

    @Test
    void v1InviteEndpointAnswersTheOldShape() {
        User bob = hs1.register(unique("bob"));
        Pdu invite = hs2Invite("1", bob.userId(), null);
        Map<String, Object> body = new LinkedHashMap<>(invite.json());
        body.put("unsigned", Map.of("invite_room_state", roomStateOf(invite)));
        Answer answer = new FederationDriver(servers.get(1)).put(hs1Name, "/_matrix/federation/v1/invite/"
                + MatrixClient.encode(invite.roomId()) + "/" + MatrixClient.encode(invite.eventId()), body);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json()).isInstanceOf(List.class);
        List<?> pair = (List<?>) answer.json();
        assertThat(pair.get(0)).isEqualTo(200L);
        Map<String, Object> event = Json.object(Json.object(Map.of("p", pair.get(1)), "p"), "event");
        assertThat(Json.object(event, "signatures")).containsKeys(hs1Name, hs2Name);
        assertThat(event).containsEntry("event_id", invite.eventId());
        assertThat(pending(0, invite.roomId(), bob.userId())).isPresent();
    }
}
