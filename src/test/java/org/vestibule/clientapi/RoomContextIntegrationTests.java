package org.vestibule.clientapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/** {@code GET /rooms/{roomId}/context/{eventId}} and the filter of it and of /messages. */
class RoomContextIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient client;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(1);
        client = new MatrixClient(servers.get(0).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    private static Response context(User user, String room, String eventId, String query) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/context/"
                + MatrixClient.encode(eventId) + (query.isEmpty() ? "" : "?" + query), user.accessToken());
    }

    private static Response messages(User user, String room, String query) {
        return client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/messages?" + query,
                user.accessToken());
    }

    private static List<String> bodies(List<Object> events) {
        List<String> out = new ArrayList<>();
        for (Object o : events) {
            Map<?, ?> e = (Map<?, ?>) o;
            out.add(e.get("content") instanceof Map<?, ?> c && c.get("body") instanceof String b ? b
                    : (String) e.get("type"));
        }
        return out;
    }

    private static String filter(Map<String, Object> filter) {
        return MatrixClient.encode(new String(CanonicalJson.encode(filter), StandardCharsets.UTF_8));
    }

    @Test
    void anEventComesWithWhatCameBeforeAndAfterAndTokensToPageOn() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            ids.add(client.sendMessage(i % 2 == 0 ? bob : alice, room, "m" + i).expect(200).string("event_id"));
        }

        Map<String, Object> body = context(alice, room, ids.get(4), "limit=4").expect(200).body();
        assertThat(body).containsOnlyKeys("start", "end", "events_before", "event", "events_after", "state");
        assertThat(Json.object(body, "event")).containsEntry("event_id", ids.get(4));
        assertThat(bodies(Json.list(body, "events_before"))).containsExactly("m4", "m3");
        assertThat(bodies(Json.list(body, "events_after"))).containsExactly("m6", "m7");
        // The state at the last event returned: the room's, both members in it.
        List<Object> state = Json.list(body, "state");
        assertThat(state).anyMatch(e -> "m.room.create".equals(((Map<?, ?>) e).get("type")));
        assertThat(state.stream().filter(e -> "m.room.member".equals(((Map<?, ?>) e).get("type")))).hasSize(2);

        // start pages back from before m3, end forwards from after m7.
        Map<String, Object> older = messages(alice, room, "dir=b&limit=2&from=" + MatrixClient.encode((String) body.get("start")))
                .expect(200).body();
        assertThat(bodies(Json.list(older, "chunk"))).containsExactly("m2", "m1");
        Map<String, Object> newer = messages(alice, room, "dir=f&limit=10&from=" + MatrixClient.encode((String) body.get("end")))
                .expect(200).body();
        assertThat(bodies(Json.list(newer, "chunk"))).containsExactly("m8", "m9", "m10");
        assertThat(newer).doesNotContainKey("end");

        // limit=0: the event alone; the default is 10, half before.
        Map<String, Object> alone = context(alice, room, ids.get(4), "limit=0").expect(200).body();
        assertThat(Json.list(alone, "events_before")).isEmpty();
        assertThat(Json.list(alone, "events_after")).isEmpty();
        Map<String, Object> byDefault = context(alice, room, ids.get(4), "").expect(200).body();
        assertThat(bodies(Json.list(byDefault, "events_before")).subList(0, 4)).containsExactly("m4", "m3", "m2", "m1");
        assertThat(bodies(Json.list(byDefault, "events_after"))).containsExactly("m6", "m7", "m8", "m9", "m10");
    }

    @Test
    void theFilterAppliesToTheEventsAroundAndTheStateButNotTheEventItself() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        client.join(bob, room).expect(200);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            ids.add(client.sendMessage(i % 2 == 0 ? bob : alice, room, "m" + i).expect(200).string("event_id"));
        }
        String onlyAlice = filter(Map.of("senders", List.of(alice.userId()), "lazy_load_members", true));
        Map<String, Object> body = context(alice, room, ids.get(3), "limit=4&filter=" + onlyAlice).expect(200).body();
        assertThat(Json.object(body, "event")).containsEntry("sender", bob.userId());
        assertThat(bodies(Json.list(body, "events_before"))).containsExactly("m3", "m1");
        assertThat(bodies(Json.list(body, "events_after"))).containsExactly("m5");
        // Lazy-loading: of the members, those who sent what is shown (bob sent the event itself).
        List<Object> state = Json.list(body, "state");
        assertThat(state).allMatch(e -> alice.userId().equals(((Map<?, ?>) e).get("sender")));
        assertThat(state.stream().filter(e -> "m.room.member".equals(((Map<?, ?>) e).get("type"))).count()).isEqualTo(1);

        // /messages takes the same filter; types with a wildcard, not_types winning.
        String members = filter(Map.of("types", List.of("m.room.*"), "not_types", List.of("m.room.message")));
        assertThat(Json.list(messages(alice, room, "dir=b&limit=100&filter=" + members).expect(200).body(), "chunk"))
                .isNotEmpty().allMatch(e -> !"m.room.message".equals(((Map<?, ?>) e).get("type")));
        String bobs = filter(Map.of("types", List.of("m.room.message"), "not_senders", List.of(alice.userId()), "limit", 2));
        assertThat(bodies(Json.list(messages(alice, room, "dir=b&limit=100&filter=" + bobs).expect(200).body(), "chunk")))
                .containsExactly("m6", "m4");
    }

    @Test
    void badRequestsGetTheSpecsErrors() {
        User alice = client.register(unique("alice"));
        User eve = client.register(unique("eve"));
        String room = client.createRoom(alice, Map.of("preset", "public_chat"));
        String id = client.sendMessage(alice, room, "hello").expect(200).string("event_id");

        assertError(context(alice, room, "$nothing", ""), 404, "M_NOT_FOUND");
        assertError(context(eve, room, id, ""), 403, "M_FORBIDDEN");
        assertError(context(alice, room, id, "limit=-1"), 400, "M_INVALID_PARAM");
        assertError(context(alice, room, id, "limit=many"), 400, "M_INVALID_PARAM");
        assertError(context(alice, room, id, "filter=%7Bnope"), 400, "M_NOT_JSON");
        assertError(context(alice, room, id, "filter=" + filter(Map.of("types", "m.room.message"))), 400, "M_INVALID_PARAM");
        assertError(messages(alice, room, "dir=b&from=t12"), 400, "M_INVALID_PARAM");
        assertError(messages(alice, room, "dir=b&from=t12-x"), 400, "M_INVALID_PARAM");
        assertThat(messages(alice, room, "dir=b&from=t12--3").status()).isEqualTo(200);
        assertError(client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/context/"
                + MatrixClient.encode(id), null), 401, "M_MISSING_TOKEN");
    }

    private static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }
}
