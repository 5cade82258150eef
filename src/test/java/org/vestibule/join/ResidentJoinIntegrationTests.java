package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.support.Eventually;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestCertificates;
import org.vestibule.support.TestHomeservers;

/**
 * The resident side exactly as a peer sees it: every row of DESIGN.md's errcode table for
 * make_join and send_join, send_join's validation, and make/send_leave. hs1 is the resident; the
 * joining server is hs2, driven by hand through its real signed federation client.
 */
class ResidentJoinIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static FederationDriver remote;
    static String resident;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        remote = new FederationDriver(servers.get(1));
        resident = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static String restricted(User creator, String version, String... allowed) {
        return hs1.createRoom(creator, Map.of("preset", "public_chat", "room_version", version,
                "initial_state", List.of(Map.of("type", "m.room.join_rules", "state_key", "",
                        "content", MatrixClient.restrictedJoinRules(allowed)))));
    }

    /** A remote user who is joined to the given rooms on hs1 (joined for real, through hs2). */
    static User remoteMemberOf(String... rooms) {
        User user = hs2.register(unique("remote"));
        for (String room : rooms) {
            hs2.join(user, room, resident).expect(200);
        }
        return user;
    }

    @Test
    void unknownRoomIs404() {
        Answer a = remote.makeJoin(resident, "!nope:" + resident, remote.userId("x"));
        assertThat(a.status()).isEqualTo(404);
        assertThat(a.errcode()).isEqualTo("M_NOT_FOUND");
    }

    @Test
    void versionNotOfferedIs400WithTheRoomVersion() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10"));
        Answer a = remote.makeJoin(resident, room, remote.userId("x"), "1", "2", "9");
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.errcode()).isEqualTo("M_INCOMPATIBLE_ROOM_VERSION");
        assertThat(a.body()).containsEntry("room_version", "10");
        // No ver at all means version 1 only.
        Answer none = remote.get(resident, "/_matrix/federation/v1/make_join/" + MatrixClient.encode(room) + "/"
                + MatrixClient.encode(remote.userId("x")));
        assertThat(none.errcode()).isEqualTo("M_INCOMPATIBLE_ROOM_VERSION");
    }

    /** In room versions 1 and 2 the joining server names the event; the template carries no ID of ours. */
    @ParameterizedTest
    @ValueSource(strings = {"1", "2"})
    void roomsOfVersions1And2TakeTheJoiningServersEventId(String version) {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "room_version", version));
        String bob = remote.userId(unique("bob"));
        Answer made = remote.makeJoin(resident, room, bob, version);
        assertThat(made.status()).as(String.valueOf(made.json())).isEqualTo(200);
        assertThat(made.body()).containsEntry("room_version", version);
        assertThat(made.event()).doesNotContainKey("event_id");
        Pdu join = remote.sign(made.event(), version, null);
        assertThat(join.eventId()).endsWith(":" + servers.get(1).serverName());
        assertThat(remote.sendJoin(resident, join).status()).isEqualTo(200);
        assertThat(hs1.joinedMembers(alice, room)).containsKey(bob);

        // And through the joining server's client API, as another server's user would.
        User carol = hs2.register(unique("carol"));
        hs2.join(carol, room, resident).expect(200);
        assertThat(hs1.joinedMembers(alice, room)).containsKey(carol.userId());
    }

    @Test
    void userOfAnotherServerIs403() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        Answer a = remote.makeJoin(resident, room, "@mallory:elsewhere.example");
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.errcode()).isEqualTo("M_FORBIDDEN");
    }

    @Test
    void requestsWithoutAValidXMatrixHeaderAre401() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(TestCertificates.clientContext()).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(servers.get(0).federationBaseUrl()
                + "/_matrix/federation/v1/make_join/!a:b/@c:d?ver=10")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("\"errcode\":\"M_UNAUTHORIZED\"");
        HttpResponse<String> forged = http.send(HttpRequest.newBuilder(URI.create(servers.get(0).federationBaseUrl()
                        + "/_matrix/federation/v1/make_join/!a:b/@c:d?ver=10"))
                .header("Authorization", "X-Matrix origin=\"" + servers.get(1).serverName() + "\",destination=\""
                        + resident + "\",key=\"ed25519:nope\",sig=\"AAAA\"").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(forged.body()).contains("\"errcode\":\"M_UNAUTHORIZED\"");
    }

    @Test
    void memberOfAKnownAllowedRoomJoinsAuthorisedByOurUserAndCountersigned() {
        User alice = hs1.register(unique("alice"));
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restricted(alice, "10", space);
        String bob = remoteMemberOf(space).userId();

        Answer made = remote.makeJoin(resident, room, bob);
        assertThat(made.status()).isEqualTo(200);
        assertThat(made.body()).containsEntry("room_version", "10");
        Map<String, Object> template = made.event();
        assertThat(template).containsEntry("room_id", room).containsEntry("sender", bob).containsEntry("state_key", bob)
                .containsEntry("type", "m.room.member").containsEntry("origin", resident)
                .containsKeys("prev_events", "auth_events", "depth", "origin_server_ts");
        assertThat(Json.object(template, "content")).containsEntry("membership", "join")
                .containsEntry("join_authorised_via_users_server", alice.userId());
        // create, power levels, join rules and the authoriser's member event (the joiner has none yet)
        assertThat(Json.list(template, "auth_events")).hasSize(4);

        Pdu join = remote.sign(template, "10", null);
        Answer sent = remote.sendJoin(resident, join);
        assertThat(sent.status()).as(String.valueOf(sent.json())).isEqualTo(200);
        Map<String, Object> event = sent.event();
        assertThat(Json.object(event, "signatures")).containsKeys(resident, servers.get(1).serverName());
        assertThat(sent.body()).containsEntry("members_omitted", false);
        List<Object> state = Json.list(sent.body(), "state");
        assertThat(state).anySatisfy(e -> assertThat(obj(e)).containsEntry("type", "m.room.create"));
        assertThat(state).noneSatisfy(e -> assertThat((obj(e)).get("state_key")).isEqualTo(bob));
        assertThat(Json.list(sent.body(), "auth_chain")).isNotEmpty();
        assertThat(hs1.joinedMembers(alice, room)).containsKey(bob);
    }

    @Test
    void inNoneOfTheKnownAllowedRoomsIs403NamingThem() {
        User alice = hs1.register(unique("alice"));
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restricted(alice, "10", space);
        Answer a = remote.makeJoin(resident, room, remote.userId(unique("x")));
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(a.error()).contains(space);
    }

    @Test
    void unknownAllowedRoomIsUnableToAuthorise() {
        User alice = hs1.register(unique("alice"));
        String room = restricted(alice, "10", "!elsewhere:unknown.invalid");
        Answer a = remote.makeJoin(resident, room, remote.userId(unique("x")));
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.errcode()).isEqualTo("M_UNABLE_TO_AUTHORISE_JOIN");
        assertThat(a.error()).contains("!elsewhere:unknown.invalid");
    }

    @Test
    void knownAndUnknownAllowedRooms() {
        User alice = hs1.register(unique("alice"));
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restricted(alice, "10", "!elsewhere:unknown.invalid", space);
        String member = remoteMemberOf(space).userId();
        assertThat(remote.makeJoin(resident, room, member).status()).isEqualTo(200);
        Answer stranger = remote.makeJoin(resident, room, remote.userId(unique("x")));
        assertThat(stranger.status()).isEqualTo(400);
        assertThat(stranger.errcode()).isEqualTo("M_UNABLE_TO_AUTHORISE_JOIN");
    }

    @Test
    void noLocalUserWhoCanInviteIsUnableToGrant() {
        User alice = hs1.register(unique("alice"));
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restricted(alice, "10", space);
        String bob = remoteMemberOf(space).userId();
        // Only alice could invite; she leaves, and carol (power 0) keeps hs1 in the room.
        User carol = hs1.register(unique("carol"));
        hs1.join(carol, space).expect(200);
        hs1.join(carol, room).expect(200);
        hs1.sendState(alice, room, "m.room.power_levels", "", Map.of("users", Map.of(alice.userId(), 100),
                "invite", 100)).expect(200);
        hs1.leave(alice, room).expect(200);
        Answer a = remote.makeJoin(resident, room, bob);
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.errcode()).isEqualTo("M_UNABLE_TO_GRANT_JOIN");
        // A user who qualifies for nothing still gets 403: membership comes before the inviter search.
        assertThat(remote.makeJoin(resident, room, remote.userId(unique("x"))).status()).isEqualTo(403);
    }

    @Test
    void leavingTheAllowedRoomBetweenMakeJoinAndSendJoinIs403() {
        User alice = hs1.register(unique("alice"));
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restricted(alice, "10", space);
        User bob = remoteMemberOf(space);
        Answer made = remote.makeJoin(resident, room, bob.userId());
        assertThat(made.status()).isEqualTo(200);
        hs2.leave(bob, space).expect(200);
        Eventually.until("bob's leave on hs1", () -> "leave".equals(hs1.getState(alice, space, "m.room.member",
                bob.userId()).body().get("membership")));
        Answer sent = remote.sendJoin(resident, remote.sign(made.event(), "10", null));
        assertThat(sent.status()).isEqualTo(403);
        assertThat(sent.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(hs1.joinedMembers(alice, room)).doesNotContainKey(bob.userId());
    }

    @Test
    void invitedUserJoinsWithoutAnAuthoriser() {
        User alice = hs1.register(unique("alice"));
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restricted(alice, "10", space);
        User invitee = hs1.register(unique("inv"));
        hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", alice.accessToken(),
                Map.of("user_id", invitee.userId())).expect(200);
        // A local invitee: the resident check is the same for remote ones (covered with federation invites).
        MatrixClient.Response r = hs1.join(invitee, room);
        assertThat(r.status()).isEqualTo(200);
        assertThat(hs1.getState(alice, room, "m.room.member", invitee.userId()).body())
                .doesNotContainKey("join_authorised_via_users_server");
    }

    @Test
    void restrictedJoinRuleInARoomVersionWithoutItIs403() {
        User alice = hs1.register(unique("alice"));
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String room = restricted(alice, "7", space);
        String bob = remoteMemberOf(space).userId();
        Answer a = remote.makeJoin(resident, room, bob);
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.errcode()).isEqualTo("M_FORBIDDEN");
    }

    @Test
    void bannedUserIs403AtMakeJoinAndSendJoin() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String charlie = remote.userId(unique("charlie"));
        String charlie2 = remote.userId(unique("charlie2"));
        Answer made = remote.makeJoin(resident, room, charlie2);
        assertThat(made.status()).isEqualTo(200);
        hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/ban", alice.accessToken(),
                Map.of("user_id", charlie)).expect(200);
        Answer a = remote.makeJoin(resident, room, charlie);
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.errcode()).isEqualTo("M_FORBIDDEN");
        // Complement TestBannedUserCannotSendJoin: a template for someone else, switched to the banned user.
        Pdu forged = remote.sign(made.event(), (String) made.body().get("room_version"), e -> {
            e.put("sender", charlie);
            e.put("state_key", charlie);
        });
        Answer sent = remote.sendJoin(resident, forged);
        assertThat(sent.status()).isEqualTo(403);
        assertThat(sent.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(hs1.getState(alice, room, "m.room.member", charlie).body()).containsEntry("membership", "ban");
    }

    @Test
    void sendJoinRejectsEverythingButAProperJoinWith400() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String bob = remote.userId(unique("bob"));
        Answer made = remote.makeJoin(resident, room, bob);
        String version = (String) made.body().get("room_version");
        Map<String, Object> template = made.event();

        Pdu message = remote.sign(template, version, e -> {
            e.put("type", "m.room.message");
            e.remove("state_key");
            e.put("content", Map.of("body", "hi"));
        });
        Pdu leave = remote.sign(template, version, e -> e.put("content", Map.of("membership", "leave")));
        Pdu mismatched = remote.sign(template, version, e -> e.put("state_key", remote.userId("someone-else")));
        Pdu foreignAuthoriser = remote.sign(template, version, e -> e.put("content",
                Map.of("membership", "join", "join_authorised_via_users_server", remote.userId("ours-not"))));
        Pdu otherSender = remote.sign(template, version, e -> {
            e.put("sender", "@x:elsewhere.example");
            e.put("state_key", "@x:elsewhere.example");
        });
        for (int api : List.of(1, 2)) {
            for (Pdu bad : List.of(message, leave, mismatched, foreignAuthoriser, otherSender)) {
                Answer a = remote.sendJoin(resident, room, bad.eventId(), bad.json(), api, null);
                assertThat(a.status()).as("v%s %s", api, bad).isEqualTo(400);
                assertThat(a.errcode()).as("v%s %s", api, bad).isIn("M_INVALID_PARAM", "M_BAD_JSON");
            }
            Pdu good = remote.sign(template, version, null);
            Answer wrongPath = remote.sendJoin(resident, room, "$" + "A".repeat(43), good.json(), api, null);
            assertThat(wrongPath.status()).isEqualTo(400);
            assertThat(wrongPath.errcode()).isEqualTo("M_INVALID_PARAM");
            Answer otherRoom = remote.sendJoin(resident, "!other:" + resident, good.eventId(), good.json(), api, null);
            assertThat(otherRoom.status()).isIn(400, 404);
            for (Object garbage : List.of(Map.of(), Map.of("type", "m.room.member"), List.of(1, 2), "nonsense")) {
                Answer a = remote.sendJoin(resident, room, good.eventId(), garbage, api, null);
                assertThat(a.status()).as("garbage %s", garbage).isEqualTo(400);
            }
        }
        Pdu unsigned = remote.sign(template, version, null);
        Map<String, Object> stripped = new LinkedHashMap<>(unsigned.json());
        stripped.put("signatures", Map.of());
        Answer noSig = remote.sendJoin(resident, room, unsigned.eventId(), stripped, 2, null);
        assertThat(noSig.status()).isEqualTo(400);
        assertThat(noSig.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(hs1.joinedMembers(alice, room)).doesNotContainKey(bob);
        assertThat(hs1.getState(alice, room, "m.room.member", bob).status()).isEqualTo(404);
    }

    @Test
    void sendJoinV1AnswersAsAPairAndTheSameUserCanJoinTwice() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String bob = remote.userId(unique("bob"));
        Answer made = remote.makeJoin(resident, room, bob);
        Pdu join = remote.sign(made.event(), (String) made.body().get("room_version"), null);
        Answer v1 = remote.sendJoin(resident, room, join.eventId(), join.json(), 1, null);
        assertThat(v1.status()).isEqualTo(200);
        assertThat(v1.json()).isInstanceOf(List.class);
        List<?> pair = (List<?>) v1.json();
        assertThat(pair.get(0)).isEqualTo(200L);
        assertThat(obj(pair.get(1))).containsKeys("state", "auth_chain", "event");
        // Again: the same event is accepted idempotently, a fresh join too.
        assertThat(remote.sendJoin(resident, join).status()).isEqualTo(200);
        assertThat(remote.join(resident, room, bob).status()).isEqualTo(200);
        assertThat(hs1.joinedMembers(alice, room)).containsKey(bob);
    }

    @Test
    void omitMembersGivesPartialStateWithServersAndHeroes() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        User carol = hs1.register(unique("carol"));
        hs1.join(carol, room).expect(200);
        String bob = remote.userId(unique("bob"));
        Answer made = remote.makeJoin(resident, room, bob);
        Pdu join = remote.sign(made.event(), (String) made.body().get("room_version"), null);
        Answer a = remote.sendJoin(resident, room, join.eventId(), join.json(), 2, "?omit_members=true");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body()).containsEntry("members_omitted", true);
        assertThat(Json.list(a.body(), "servers_in_room")).containsExactly(resident);
        List<Object> state = Json.list(a.body(), "state");
        assertThat(state).anySatisfy(e -> assertThat(obj(e)).containsEntry("type", "m.room.power_levels"));
        // No m.room.name: the heroes' (alice's and carol's) memberships are included.
        assertThat(state.stream().filter(e -> "m.room.member".equals((obj(e)).get("type")))
                .map(e -> (obj(e)).get("state_key")).toList()).containsExactlyInAnyOrder(alice.userId(), carol.userId());
        Answer bad = remote.sendJoin(resident, room, join.eventId(), join.json(), 2, "?omit_members=maybe");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errcode()).isEqualTo("M_INVALID_PARAM");
    }

    @Test
    void makeLeaveAndSendLeave() {
        User alice = hs1.register(unique("alice"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String bob = remote.userId(unique("bob"));
        assertThat(remote.join(resident, room, bob).status()).isEqualTo(200);
        Answer made = remote.makeLeave(resident, room, bob);
        assertThat(made.status()).isEqualTo(200);
        assertThat(Json.object(made.event(), "content")).containsEntry("membership", "leave");
        String version = (String) made.body().get("room_version");
        Pdu notLeave = remote.sign(made.event(), version, e -> e.put("content", Map.of("membership", "join")));
        assertThat(remote.sendLeave(resident, notLeave, 2).status()).isEqualTo(400);
        Pdu leave = remote.sign(made.event(), version, null);
        Answer v2 = remote.sendLeave(resident, leave, 2);
        assertThat(v2.status()).isEqualTo(200);
        assertThat(v2.body()).isEmpty();
        assertThat(hs1.getState(alice, room, "m.room.member", bob).body()).containsEntry("membership", "leave");
        assertThat(remote.makeLeave(resident, room, "@x:elsewhere.example").status()).isEqualTo(403);
        Answer v1 = remote.sendLeave(resident, leave, 1);
        assertThat(v1.status()).isEqualTo(200);
        assertThat(v1.json()).isEqualTo(List.of(200L, Map.of()));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    static Map<String, Object> parse(byte[] bytes) {
        return StrictJsonParser.parseObject(bytes, StrictJsonParser.Limits.REQUEST);
    }
}
