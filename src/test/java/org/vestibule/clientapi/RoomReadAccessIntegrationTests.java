package org.vestibule.clientapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * Who may read a room (spec client-server §Room participation, rooms.yaml): someone who was never
 * in it gets 403 M_FORBIDDEN from every read endpoint, exactly as for a room that does not exist;
 * someone who left (or was banned) after being joined reads the state and members as they were
 * when they left.
 */
@VestibuleIntegrationTest
class RoomReadAccessIntegrationTests {

    @LocalServerPort
    int port;

    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    static String room(String roomId) {
        return "/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId);
    }

    /** Every read endpoint of a room, for one of its events. */
    static List<String> reads(String roomId, String eventId) {
        return List.of(room(roomId) + "/state", room(roomId) + "/state/m.room.name/", room(roomId) + "/state/m.room.name",
                room(roomId) + "/members", room(roomId) + "/joined_members",
                room(roomId) + "/event/" + MatrixClient.encode(eventId), room(roomId) + "/messages?dir=b",
                room(roomId) + "/aliases");
    }

    void assertForbidden(User user, String path) {
        Response r = client.get(path, user.accessToken());
        assertThat(r.status()).as(path + ": " + r.raw()).isEqualTo(403);
        assertThat(r.errcode()).as(path).isEqualTo("M_FORBIDDEN");
    }

    @Test
    void someoneWhoWasNeverInTheRoomGetsTheSameForbiddenAsForARoomThatDoesNotExist() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String roomId = client.createRoom(alice, Map.of("preset", "private_chat", "name", "secret"));
        String eventId = client.sendMessage(alice, roomId, "hello").expect(200).string("event_id");
        String missing = "!doesnotexist:test.vestibule.invalid";

        for (String path : reads(roomId, eventId)) {
            assertForbidden(bob, path);
        }
        for (String path : reads(missing, eventId)) {
            assertForbidden(bob, path);
        }
        // The same words for both, but for the room ID: nothing tells the rooms apart.
        String known = client.get(room(roomId) + "/state", bob.accessToken()).error();
        String unknown = client.get(room(missing) + "/state", bob.accessToken()).error();
        assertThat(known.replace(roomId, "ROOM")).isEqualTo(unknown.replace(missing, "ROOM"));
        // The members still read everything.
        client.get(room(roomId) + "/state", alice.accessToken()).expect(200);
        client.get(room(roomId) + "/event/" + MatrixClient.encode(eventId), alice.accessToken()).expect(200);
    }

    @Test
    void someoneWhoLeftReadsTheStateAndMembersAsTheyWereWhenTheyLeft() {
        User alice = client.register(unique("alice"));
        User carol = client.register(unique("carol"));
        User dave = client.register(unique("dave"));
        String roomId = client.createRoom(alice, Map.of("preset", "public_chat", "name", "before"));
        client.join(carol, roomId).expect(200);
        client.leave(carol, roomId).expect(200);
        client.sendState(alice, roomId, "m.room.name", "", Map.of("name", "after")).expect(200);
        client.join(dave, roomId).expect(200);

        assertThat(client.getState(carol, roomId, "m.room.name", "").expect(200).body()).containsEntry("name", "before");
        assertThat(client.getState(carol, roomId, "m.room.member", carol.userId()).expect(200).body())
                .containsEntry("membership", "leave");
        List<Object> state = Json.list(client.get(room(roomId) + "/state", carol.accessToken()).expect(200).body(), "_list");
        assertThat(state).anySatisfy(e -> assertThat(((Map<?, ?>) e).get("type")).isEqualTo("m.room.name"));
        assertThat(state.stream().map(e -> (Map<?, ?>) e).filter(e -> "m.room.name".equals(e.get("type")))
                .map(e -> (Object) ((Map<?, ?>) e.get("content")).get("name")).toList()).containsExactly("before");
        List<Object> members = Json.list(client.get(room(roomId) + "/members", carol.accessToken()).expect(200).body(),
                "chunk");
        assertThat(members.stream().map(e -> (Object) ((Map<?, ?>) e).get("state_key")).toList())
                .containsExactlyInAnyOrder(alice.userId(), carol.userId());
        // joined_members is for current members only (spec: "You aren't a member of the room").
        assertForbidden(carol, room(roomId) + "/joined_members");
        // Alice, joined, sees the room as it is now.
        assertThat(client.getState(alice, roomId, "m.room.name", "").expect(200).body()).containsEntry("name", "after");
        assertThat(Json.list(client.get(room(roomId) + "/members", alice.accessToken()).expect(200).body(), "chunk"))
                .hasSize(3);
    }

    @Test
    void aBannedMemberReadsTheStateAtTheBanButAnInviteeWhoRejectedReadsNothing() {
        User alice = client.register(unique("alice"));
        User frank = client.register(unique("frank"));
        User erin = client.register(unique("erin"));
        String roomId = client.createRoom(alice, Map.of("preset", "public_chat", "name", "first"));
        client.join(frank, roomId).expect(200);
        client.post(room(roomId) + "/ban", alice.accessToken(), Map.of("user_id", frank.userId())).expect(200);
        client.sendState(alice, roomId, "m.room.name", "", Map.of("name", "second")).expect(200);
        assertThat(client.getState(frank, roomId, "m.room.name", "").expect(200).body()).containsEntry("name", "first");
        assertThat(client.getState(frank, roomId, "m.room.member", frank.userId()).expect(200).body())
                .containsEntry("membership", "ban");

        client.post(room(roomId) + "/invite", alice.accessToken(), Map.of("user_id", erin.userId())).expect(200);
        // Invited, not joined: not a member, so nothing to read.
        assertForbidden(erin, room(roomId) + "/state");
        client.leave(erin, roomId).expect(200);
        assertForbidden(erin, room(roomId) + "/state");
        assertForbidden(erin, room(roomId) + "/members");
        assertForbidden(erin, room(roomId) + "/state/m.room.name/");
    }
}
