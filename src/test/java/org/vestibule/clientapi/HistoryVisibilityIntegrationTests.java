package org.vestibule.clientapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersions;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * {@code m.room.history_visibility} on every read path (spec client-server §Room History
 * Visibility): /sync, /messages, /event and /context for users of one server; /backfill and
 * /event for another server, which gets what its users could not see redacted.
 */
class HistoryVisibilityIntegrationTests {

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

    private static String room(User creator, String visibility) {
        return hs1.createRoom(creator, Map.of("preset", "public_chat", "initial_state", List.of(Map.of(
                "type", "m.room.history_visibility", "state_key", "", "content",
                Map.of("history_visibility", visibility)))));
    }

    private static String send(User user, String room, String body) {
        return hs1.sendMessage(user, room, body).expect(200).string("event_id");
    }

    private static Response messages(MatrixClient client, User user, String room) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/messages?dir=b&limit=100",
                user.accessToken());
    }

    private static List<String> bodies(List<Object> events) {
        List<String> out = new ArrayList<>();
        for (Object o : events) {
            Map<?, ?> e = (Map<?, ?>) o;
            if ("m.room.message".equals(e.get("type"))) {
                out.add((String) ((Map<?, ?>) e.get("content")).get("body"));
            }
        }
        return out;
    }

    private static List<String> messageBodies(MatrixClient client, User user, String room) {
        return bodies(Json.list(messages(client, user, room).expect(200).body(), "chunk"));
    }

    private static List<String> syncBodies(MatrixClient client, User user, String room) {
        Map<String, Object> body = client.get("/_matrix/client/v3/sync?timeout=0", user.accessToken()).expect(200).body();
        return bodies(Json.list(Json.object(Json.object(Json.object(Json.object(body, "rooms"), "join"), room),
                "timeline"), "events"));
    }

    private static Response event(MatrixClient client, User user, String room, String eventId) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/event/" + MatrixClient.encode(eventId),
                user.accessToken());
    }

    private static Response context(MatrixClient client, User user, String room, String eventId) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/context/"
                + MatrixClient.encode(eventId) + "?limit=20", user.accessToken());
    }

    @Test
    void aNewMemberOfAJoinedRoomDoesNotSeeWhatWasSaidBeforeTheyJoined() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        String room = room(alice, "joined");
        String before = send(alice, room, "before");
        hs1.join(bob, room).expect(200);
        String after = send(alice, room, "after");

        assertThat(messageBodies(hs1, bob, room)).containsExactly("after");
        assertThat(messageBodies(hs1, alice, room)).containsExactly("after", "before");
        assertThat(syncBodies(hs1, bob, room)).containsExactly("after");
        Response hidden = event(hs1, bob, room, before);
        assertThat(hidden.status()).isEqualTo(404);
        assertThat(hidden.errcode()).isEqualTo("M_NOT_FOUND");
        assertThat(event(hs1, bob, room, after).expect(200).body()).containsEntry("event_id", after);
        Response ctx = context(hs1, bob, room, after).expect(200);
        assertThat(bodies(Json.list(ctx.body(), "events_before"))).isEmpty();
        assertThat(context(hs1, bob, room, before).status()).isEqualTo(404);
        // Their own join they see, though it is the boundary.
        String bobJoin = Json.string(hs1.getState(bob, room, "m.room.member", bob.userId()).expect(200).body(), "membership")
                .orElseThrow();
        assertThat(bobJoin).isEqualTo("join");
        assertThat(Json.list(messages(hs1, bob, room).body(), "chunk").stream()
                .anyMatch(e -> bob.userId().equals(((Map<?, ?>) e).get("state_key")))).isTrue();
    }

    @Test
    void anInvitedRoomShowsAMemberWhatWasSaidFromTheirInviteOn() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        String room = room(alice, "invited");
        send(alice, room, "s1");
        hs1.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite", alice.accessToken(),
                Map.of("user_id", bob.userId())).expect(200);
        send(alice, room, "s2");
        hs1.join(bob, room).expect(200);
        send(alice, room, "s3");

        assertThat(messageBodies(hs1, bob, room)).containsExactly("s3", "s2");
        assertThat(syncBodies(hs1, bob, room)).containsExactly("s2", "s3");
    }

    @Test
    void aSharedRoomShowsANewMemberEarlierHistory() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        String room = room(alice, "shared");
        String early = send(alice, room, "early");
        hs1.join(bob, room).expect(200);
        send(alice, room, "late");

        assertThat(messageBodies(hs1, bob, room)).containsExactly("late", "early");
        assertThat(event(hs1, bob, room, early).status()).isEqualTo(200);
        // A non-member does not read a shared room.
        User eve = hs1.register(unique("eve"));
        Response refused = messages(hs1, eve, room);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(event(hs1, eve, room, early).status()).isEqualTo(403);
    }

    @Test
    void aWorldReadableRoomIsReadByANonMember() {
        User alice = hs1.register(unique("alice"));
        String room = room(alice, "world_readable");
        String open = send(alice, room, "open");
        User eve = hs1.register(unique("eve"));

        assertThat(messageBodies(hs1, eve, room)).containsExactly("open");
        assertThat(event(hs1, eve, room, open).expect(200).body()).containsEntry("event_id", open);
        assertThat(Json.object(context(hs1, eve, room, open).expect(200).body(), "event")).containsEntry("event_id", open);

        // Once the room says joined, a non-member reads nothing of it any more.
        hs1.sendState(alice, room, "m.room.history_visibility", "", Map.of("history_visibility", "joined")).expect(200);
        send(alice, room, "closed");
        assertThat(messages(hs1, eve, room).status()).isEqualTo(403);
        // A member reading still sees both, and the change itself.
        assertThat(messageBodies(hs1, alice, room)).containsExactly("closed", "open");
    }

    @Test
    void backfillGivesAnotherServerOnlyWhatItsUsersMaySee() {
        User alice = hs1.register(unique("alice"));
        String room = room(alice, "joined");
        String secret = send(alice, room, "secret");
        User bob = hs2.register(unique("bob"));
        hs2.join(bob, room, servers.get(0).serverName()).expect(200);
        String open = send(alice, room, "open");
        until("hs2 holding alice's 'open'", () -> messageBodies(hs2, bob, room).contains("open"));

        FederationClient asHs2 = servers.get(1).bean(FederationClient.class);
        Map<String, Object> answer = asHs2.get(servers.get(0).serverName(), "/_matrix/federation/v1/backfill/"
                + FederationClient.pathSegment(room) + "?limit=50&v=" + FederationClient.pathSegment(open)).object();
        Map<String, Map<?, ?>> byId = new HashMap<>();
        for (Object o : Json.list(answer, "pdus")) {
            Map<?, ?> e = (Map<?, ?>) o;
            byId.put(idOf(e), e); // a redacted event keeps its ID: the ID is a hash of the redacted form
        }
        assertThat(byId).containsKeys(secret, open);
        // Said before any hs2 user was in the room: redacted, so its content is gone.
        assertThat(byId.get(secret).get("content")).isEqualTo(Map.of());
        assertThat(((Map<?, ?>) byId.get(open).get("content")).get("body")).isEqualTo("open");
        Map<String, Object> single = asHs2.get(servers.get(0).serverName(), "/_matrix/federation/v1/event/"
                + FederationClient.pathSegment(secret)).object();
        assertThat(((Map<?, ?>) Json.list(single, "pdus").get(0)).get("content")).isEqualTo(Map.of());

        // hs2's user never sees it, and hs2 does not even fetch history its users could not see.
        assertThat(messageBodies(hs2, bob, room)).containsExactly("open");
        JdbcTemplate db = servers.get(1).bean(JdbcTemplate.class);
        assertThat(db.queryForObject("select count(*) from events where room_id = ? and stream_ordering < 0",
                Long.class, room)).isZero();
    }

    /** The event ID of a PDU of a version 10 room: computed, as the JSON carries none. */
    private static String idOf(Map<?, ?> pdu) {
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) pdu;
        return Pdu.fromJson(json, RoomVersions.V10).eventId();
    }
}
