package org.vestibule.accountdata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.clientapi.Syncing.at;
import static org.vestibule.clientapi.Syncing.list;
import static org.vestibule.clientapi.Syncing.map;
import static org.vestibule.clientapi.Syncing.sync;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.clientapi.Syncing;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.VestibuleIntegrationTest;

/** Account data and room tags (spec client-server §Client Config, §Room Tagging): the API, its errors, and /sync. */
@VestibuleIntegrationTest
class AccountDataIntegrationTests {

    @LocalServerPort
    int port;
    MatrixClient client;

    @BeforeEach
    void client() {
        client = new MatrixClient("http://127.0.0.1:" + port);
    }

    String global(User user, String type) {
        return "/_matrix/client/v3/user/" + MatrixClient.encode(user.userId()) + "/account_data/" + MatrixClient.encode(type);
    }

    String inRoom(User user, String room, String rest) {
        return "/_matrix/client/v3/user/" + MatrixClient.encode(user.userId()) + "/rooms/" + MatrixClient.encode(room) + rest;
    }

    @Test
    void globalAndRoomAccountDataAreStoredAndReadBack() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of());
        Map<String, Object> direct = Map.of("@bob:example.org", List.of(room));
        client.put(global(alice, "m.direct"), alice.accessToken(), direct).expect(200);
        assertThat(client.get(global(alice, "m.direct"), alice.accessToken()).expect(200).body()).isEqualTo(direct);
        // Account data is no event content: fractions are kept as sent.
        client.put(global(alice, "org.example.settings"), alice.accessToken(),
                "{\"zoom\": 1.25, \"nested\": {\"a\": [1, 2.5]}}".getBytes()).expect(200);
        assertThat(client.get(global(alice, "org.example.settings"), alice.accessToken()).expect(200).raw())
                .contains("1.25").contains("2.5");
        client.put(inRoom(alice, room, "/account_data/org.example.draft"), alice.accessToken(), Map.of("text", "hi"))
                .expect(200);
        assertThat(client.get(inRoom(alice, room, "/account_data/org.example.draft"), alice.accessToken()).expect(200)
                .body()).containsEntry("text", "hi");
        // Replacing, not merging.
        client.put(global(alice, "m.direct"), alice.accessToken(), Map.of()).expect(200);
        assertThat(client.get(global(alice, "m.direct"), alice.accessToken()).expect(200).body()).isEmpty();
    }

    @Test
    void errorsAreTheSpecs() {
        User alice = client.register(unique("alice"));
        User bob = client.register(unique("bob"));
        String room = client.createRoom(alice, Map.of());
        Response other = client.put(global(alice, "m.direct"), bob.accessToken(), Map.of());
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(client.get(global(alice, "m.direct"), bob.accessToken()).errcode()).isEqualTo("M_FORBIDDEN");
        Response missing = client.get(global(alice, "org.example.never"), alice.accessToken());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.errcode()).isEqualTo("M_NOT_FOUND");
        for (String type : List.of("m.push_rules")) {
            Response managed = client.put(global(alice, type), alice.accessToken(), Map.of());
            assertThat(managed.status()).isEqualTo(405);
            assertThat(managed.errcode()).isEqualTo("M_BAD_JSON");
        }
        Response fullyRead = client.put(inRoom(alice, room, "/account_data/m.fully_read"), alice.accessToken(),
                Map.of("event_id", "$x"));
        assertThat(fullyRead.status()).isEqualTo(405);
        assertThat(fullyRead.errcode()).isEqualTo("M_BAD_JSON");
        Response badRoom = client.put(inRoom(alice, "not-a-room", "/account_data/org.example.x"), alice.accessToken(),
                Map.of());
        assertThat(badRoom.status()).isEqualTo(400);
        assertThat(badRoom.errcode()).isEqualTo("M_INVALID_PARAM");
        Response notObject = client.put(global(alice, "org.example.x"), alice.accessToken(), "[1]".getBytes());
        assertThat(notObject.status()).isEqualTo(400);
        assertThat(notObject.errcode()).isEqualTo("M_BAD_JSON");
        Response notJson = client.put(global(alice, "org.example.x"), alice.accessToken(), "{nope".getBytes());
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.errcode()).isEqualTo("M_NOT_JSON");
        Response tooLarge = client.put(global(alice, "org.example.x"), alice.accessToken(),
                Map.of("blob", "x".repeat(70_000)));
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.errcode()).isEqualTo("M_TOO_LARGE");
        assertThat(client.get(global(alice, "org.example.x"), null).status()).isEqualTo(401);
    }

    @Test
    void tagsAreRoomAccountDataOfTypeMTag() {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of());
        client.put(inRoom(alice, room, "/tags/m.favourite"), alice.accessToken(), "{\"order\": 0.5}".getBytes())
                .expect(200);
        client.put(inRoom(alice, room, "/tags/u.work"), alice.accessToken(), Map.of()).expect(200);
        Map<String, Object> tags = client.get(inRoom(alice, room, "/tags"), alice.accessToken()).expect(200).body();
        assertThat(at(tags, "tags", "m.favourite", "order")).isEqualTo(0.5);
        assertThat(at(tags, "tags", "u.work")).isEqualTo(Map.of());
        assertThat(client.get(inRoom(alice, room, "/account_data/m.tag"), alice.accessToken()).expect(200).body())
                .isEqualTo(tags);
        client.request("DELETE", inRoom(alice, room, "/tags/u.work"), alice.accessToken(), null).expect(200);
        assertThat(map(client.get(inRoom(alice, room, "/tags"), alice.accessToken()).body(), "tags"))
                .containsOnlyKeys("m.favourite");
        Response badOrder = client.put(inRoom(alice, room, "/tags/u.x"), alice.accessToken(), Map.of("order", "first"));
        assertThat(badOrder.status()).isEqualTo(400);
        assertThat(badOrder.errcode()).isEqualTo("M_BAD_JSON");
        User bob = client.register(unique("bob"));
        assertThat(client.get(inRoom(alice, room, "/tags"), bob.accessToken()).errcode()).isEqualTo("M_FORBIDDEN");
    }

    @Test
    void syncSendsAccountDataOnceAndWhatChangedSince() throws Exception {
        User alice = client.register(unique("alice"));
        String room = client.createRoom(alice, Map.of());
        client.put(global(alice, "m.direct"), alice.accessToken(), Map.of("@bob:example.org", List.of(room))).expect(200);
        client.put(inRoom(alice, room, "/tags/m.favourite"), alice.accessToken(), Map.of()).expect(200);

        Map<String, Object> initial = sync(client, alice, null);
        assertThat(types(list(initial, "account_data", "events"))).contains("m.direct", "m.push_rules");
        assertThat(types(list(initial, "rooms", "join", room, "account_data", "events"))).containsExactly("m.tag");
        String next = (String) initial.get("next_batch");

        Map<String, Object> nothing = sync(client, alice, next);
        assertThat(list(nothing, "account_data", "events")).isEmpty();
        assertThat(at(nothing, "rooms", "join", room)).isNull();

        // A long poll wakes for an account data change, and a tag change alone lists the room.
        CompletableFuture<Response> waiting = CompletableFuture.supplyAsync(() -> Syncing.raw(client, alice, next, 20_000));
        Thread.sleep(200); // let the poll start waiting; it answers correctly either way
        client.put(inRoom(alice, room, "/tags/u.later"), alice.accessToken(), Map.of()).expect(200);
        Map<String, Object> woken = waiting.get(15, TimeUnit.SECONDS).expect(200).body();
        Map<String, Object> after = woken;
        if (at(woken, "rooms", "join", room) == null) {
            after = Syncing.until(client, alice, next, "the tag change", b -> at(b, "rooms", "join", room) != null);
        }
        List<Map<String, Object>> roomData = list(after, "rooms", "join", room, "account_data", "events");
        assertThat(types(roomData)).containsExactly("m.tag");
        assertThat(map(roomData.get(0), "content", "tags")).containsOnlyKeys("m.favourite", "u.later");
        assertThat(list(after, "rooms", "join", room, "timeline", "events")).isEmpty();
        assertThat(list(after, "account_data", "events")).isEmpty();
    }

    static List<String> types(List<Map<String, Object>> events) {
        return events.stream().map(e -> (String) e.get("type")).toList();
    }
}
