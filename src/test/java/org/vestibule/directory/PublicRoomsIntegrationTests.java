package org.vestibule.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * The published room directory: createRoom's visibility, {@code /directory/list/room}, the client's
 * {@code publicRooms} (filters, pages, errors), federation {@code publicRooms}, and a client of one
 * server listing another's directory with {@code server=}.
 */
class PublicRoomsIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static String hs1Name;

    @BeforeAll
    static void start() {
        // The third server keeps its directory from other servers.
        servers = TestHomeservers.start(3, index -> index == 2
                ? new String[] {"--vestibule.directory.public-rooms-over-federation=false"} : new String[0]);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs1Name = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    static String listPath(String roomId) {
        return "/_matrix/client/v3/directory/list/room/" + MatrixClient.encode(roomId);
    }

    /** The chunk entries of a publicRooms answer whose name contains {@code term}. */
    static List<Map<String, Object>> named(Map<String, Object> body, String term) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : Json.list(body, "chunk")) {
            Map<String, Object> room = Json.object(Map.of("r", o), "r");
            if (room.get("name") instanceof String n && n.contains(term)) {
                out.add(room);
            }
        }
        return out;
    }

    static Map<String, Object> search(String term, Object limit, String since) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("filter", Map.of("generic_search_term", term)));
        if (limit != null) {
            body.put("limit", limit);
        }
        if (since != null) {
            body.put("since", since);
        }
        return body;
    }

    @Test
    void createRoomWithVisibilityPublicListsTheRoomWithItsSummary() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        String term = unique("cheese");
        String aliasName = unique("cheese");
        String roomId = hs1.createRoom(alice, Map.of("visibility", "public", "preset", "public_chat",
                "name", "The " + term + " room", "topic", "Tasty " + term, "room_alias_name", aliasName));
        hs1.sendState(alice, roomId, "m.room.avatar", "", Map.of("url", "mxc://example.org/cheddar")).expect(200);
        hs1.join(bob, roomId).expect(200);
        String privateRoom = hs1.createRoom(alice, Map.of("preset", "private_chat", "name", "The " + term + " secret"));

        // GET needs no access token (the spec lists none) and lists our rooms.
        Response listed = hs1.get("/_matrix/client/v3/publicRooms", null).expect(200);
        List<Map<String, Object>> rooms = named(listed.body(), term);
        assertThat(rooms).hasSize(1);
        assertThat(rooms.get(0)).containsEntry("room_id", roomId).containsEntry("name", "The " + term + " room")
                .containsEntry("topic", "Tasty " + term).containsEntry("canonical_alias", "#" + aliasName + ":" + hs1Name)
                .containsEntry("num_joined_members", 2L).containsEntry("world_readable", false)
                .containsEntry("guest_can_join", false).containsEntry("avatar_url", "mxc://example.org/cheddar")
                .containsEntry("join_rule", "public").doesNotContainKey("room_type");
        assertThat(listed.body().get("total_room_count_estimate")).isInstanceOf(Long.class);

        assertThat(hs1.get(listPath(roomId), null).expect(200).body()).isEqualTo(Map.of("visibility", "public"));
        assertThat(hs1.get(listPath(privateRoom), null).expect(200).body()).isEqualTo(Map.of("visibility", "private"));
        assertError(hs1.get(listPath("!nope:" + hs1Name), null), 404, "M_NOT_FOUND");

        // The search term matches the alias and topic too, case-insensitively; the private room stays out.
        Response byAlias = hs1.post("/_matrix/client/v3/publicRooms", alice.accessToken(),
                search(aliasName.toUpperCase(), null, null)).expect(200);
        assertThat(Json.list(byAlias.body(), "chunk")).hasSize(1);
        assertThat(Json.list(hs1.post("/_matrix/client/r0/publicRooms", alice.accessToken(), search("TASTY " + term,
                null, null)).expect(200).body(), "chunk")).hasSize(1);
    }

    @Test
    void whoMayChangeTheVisibility() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        User mallory = hs1.register(unique("mallory"));
        String term = unique("listing");
        String roomId = hs1.createRoom(alice, Map.of("preset", "public_chat", "name", term));
        hs1.join(bob, roomId).expect(200);
        assertThat(named(hs1.get("/_matrix/client/v3/publicRooms", null).expect(200).body(), term)).isEmpty();

        // A member without the power to send m.room.canonical_alias, and someone not in the room: 403.
        assertError(hs1.put(listPath(roomId), bob.accessToken(), Map.of("visibility", "public")), 403, "M_FORBIDDEN");
        assertError(hs1.put(listPath(roomId), mallory.accessToken(), Map.of("visibility", "public")), 403, "M_FORBIDDEN");
        assertError(hs1.put(listPath(roomId), alice.accessToken(), Map.of("visibility", "everyone")), 400,
                "M_INVALID_PARAM");
        assertError(hs1.put(listPath(roomId), alice.accessToken(), Map.of("visibility", 1)), 400, "M_BAD_JSON");
        assertError(hs1.put(listPath("!nope:" + hs1Name), alice.accessToken(), Map.of("visibility", "public")), 404,
                "M_NOT_FOUND");
        assertError(hs1.put(listPath(roomId), null, Map.of("visibility", "public")), 401, "M_MISSING_TOKEN");

        // The room's moderator: listed (visibility defaults to public), then taken off again.
        hs1.put(listPath(roomId), alice.accessToken(), Map.of()).expect(200);
        assertThat(named(hs1.get("/_matrix/client/v3/publicRooms", null).expect(200).body(), term)).hasSize(1);
        hs1.put(listPath(roomId), alice.accessToken(), Map.of("visibility", "private")).expect(200);
        assertThat(named(hs1.get("/_matrix/client/v3/publicRooms", null).expect(200).body(), term)).isEmpty();
        assertThat(hs1.get(listPath(roomId), null).expect(200).body()).isEqualTo(Map.of("visibility", "private"));
    }

    @Test
    void pagesGoForwardWithNextBatchAndBackWithPrevBatch() {
        User alice = hs1.register(unique("alice"));
        String term = unique("paged");
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rooms.add(hs1.createRoom(alice, Map.of("visibility", "public", "preset", "public_chat", "name", term + " " + i)));
        }
        User bob = hs1.register(unique("bob"));
        hs1.join(bob, rooms.get(2)).expect(200);
        // Most members first, then by room ID.
        List<String> order = new ArrayList<>(List.of(rooms.get(0), rooms.get(1)));
        order.sort(null);
        order.add(0, rooms.get(2));

        Response first = hs1.post("/_matrix/client/v3/publicRooms", alice.accessToken(), search(term, 2, null)).expect(200);
        assertThat(ids(first)).isEqualTo(order.subList(0, 2));
        assertThat(first.body()).containsKey("next_batch").doesNotContainKey("prev_batch")
                .containsEntry("total_room_count_estimate", 3L);
        Response second = hs1.post("/_matrix/client/v3/publicRooms", alice.accessToken(),
                search(term, 2, first.string("next_batch"))).expect(200);
        assertThat(ids(second)).isEqualTo(order.subList(2, 3));
        assertThat(second.body()).containsKey("prev_batch").doesNotContainKey("next_batch");
        Response back = hs1.post("/_matrix/client/v3/publicRooms", alice.accessToken(),
                search(term, 2, second.string("prev_batch"))).expect(200);
        assertThat(ids(back)).isEqualTo(order.subList(0, 2));

        // GET pages the same way (the whole directory: find our rooms by paging one at a time).
        List<String> seen = new ArrayList<>();
        String since = null;
        do {
            Response page = hs1.get("/_matrix/client/v3/publicRooms?limit=1" + (since == null ? ""
                    : "&since=" + MatrixClient.encode(since)), null).expect(200);
            assertThat(Json.list(page.body(), "chunk")).hasSize(1);
            named(page.body(), term).forEach(r -> seen.add((String) r.get("room_id")));
            since = page.string("next_batch");
        } while (since != null);
        assertThat(seen).isEqualTo(order);
    }

    static List<Object> ids(Response r) {
        return Json.list(r.body(), "chunk").stream().map(o -> ((Map<?, ?>) o).get("room_id")).map(Object.class::cast).toList();
    }

    @Test
    void roomTypesFilterSpacesFromRooms() {
        User alice = hs1.register(unique("alice"));
        String term = unique("typed");
        String space = hs1.createRoom(alice, Map.of("visibility", "public", "preset", "public_chat", "name", term + " space",
                "creation_content", Map.of("type", "m.space")));
        String room = hs1.createRoom(alice, Map.of("visibility", "public", "preset", "public_chat", "name", term + " room"));
        Map<String, Object> spaces = Map.of("filter", Map.of("generic_search_term", term, "room_types", List.of("m.space")));
        Response onlySpaces = hs1.post("/_matrix/client/v3/publicRooms", alice.accessToken(), spaces).expect(200);
        assertThat(ids(onlySpaces)).containsExactly(space);
        assertThat(Json.object(Map.of("r", Json.list(onlySpaces.body(), "chunk").get(0)), "r"))
                .containsEntry("room_type", "m.space");
        // null stands for rooms without a type.
        byte[] untyped = ("{\"filter\":{\"generic_search_term\":\"" + term + "\",\"room_types\":[null]}}").getBytes();
        assertThat(ids(hs1.post("/_matrix/client/v3/publicRooms", alice.accessToken(), untyped).expect(200)))
                .containsExactly(room);
    }

    @Test
    void badRequests() {
        User alice = hs1.register(unique("alice"));
        String path = "/_matrix/client/v3/publicRooms";
        assertError(hs1.get(path + "?since=garbage", null), 400, "M_INVALID_PARAM");
        assertError(hs1.get(path + "?limit=-1", null), 400, "M_INVALID_PARAM");
        assertError(hs1.get(path + "?limit=many", null), 400, "M_INVALID_PARAM");
        assertError(hs1.post(path, alice.accessToken(), Map.of("limit", "ten")), 400, "M_BAD_JSON");
        assertError(hs1.post(path, alice.accessToken(), Map.of("filter", "x")), 400, "M_BAD_JSON");
        assertError(hs1.post(path, alice.accessToken(), Map.of("filter", Map.of("room_types", List.of(1)))), 400,
                "M_BAD_JSON");
        assertError(hs1.post(path, alice.accessToken(), Map.of("filter", Map.of("generic_search_term", 3))), 400,
                "M_BAD_JSON");
        assertError(hs1.post(path, alice.accessToken(), "[".getBytes()), 400, "M_NOT_JSON");
        assertError(hs1.post(path, null, Map.of()), 401, "M_MISSING_TOKEN");
        // Another server's directory: a token is needed, the name must be a server name, the server must answer.
        assertError(hs1.get(path + "?server=" + MatrixClient.encode(servers.get(1).serverName()), null), 401,
                "M_MISSING_TOKEN");
        assertError(hs1.get(path + "?server=" + MatrixClient.encode("not a server"), alice.accessToken()), 400,
                "M_INVALID_PARAM");
        Response unreachable = hs1.get(path + "?server=localhost:1", alice.accessToken());
        assertError(unreachable, 502, "M_UNKNOWN");
        assertThat(unreachable.error()).contains("localhost:1");
        // include_all_networks is ignored; a third-party network we do not bridge lists nothing.
        hs1.post(path, alice.accessToken(), Map.of("include_all_networks", true)).expect(200);
        assertThat(Json.list(hs1.post(path, alice.accessToken(), Map.of("third_party_instance_id", "irc"))
                .expect(200).body(), "chunk")).isEmpty();
    }

    @Test
    void anotherServersClientListsOurDirectoryOverFederation() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String term = unique("federated");
        String roomId = hs1.createRoom(alice, Map.of("visibility", "public", "preset", "public_chat",
                "name", "A " + term + " room", "topic", "over federation"));
        String hs2Room = hs2.createRoom(bob, Map.of("visibility", "public", "preset", "public_chat", "name", term + " on hs2"));

        // hs2's client, server=hs1: GET, then POST with a filter (sent on as a federation POST).
        Response remote = hs2.get("/_matrix/client/v3/publicRooms?server=" + MatrixClient.encode(hs1Name),
                bob.accessToken()).expect(200);
        List<Map<String, Object>> found = named(remote.body(), term);
        assertThat(found).hasSize(1);
        assertThat(found.get(0)).containsEntry("room_id", roomId).containsEntry("topic", "over federation")
                .containsEntry("num_joined_members", 1L);
        Response filtered = hs2.post("/_matrix/client/v3/publicRooms?server=" + MatrixClient.encode(hs1Name),
                bob.accessToken(), search(term, 5, null)).expect(200);
        assertThat(ids(filtered)).containsExactly(roomId);
        // Its own name as server= is its own directory.
        assertThat(ids(hs2.post("/_matrix/client/v3/publicRooms?server=" + MatrixClient.encode(servers.get(1).serverName()),
                bob.accessToken(), search(term, null, null)).expect(200))).containsExactly(hs2Room);

        // The federation endpoints as a peer sees them: only hs1's own rooms.
        FederationDriver peer = new FederationDriver(servers.get(1));
        Answer get = peer.get(hs1Name, "/_matrix/federation/v1/publicRooms?limit=500");
        assertThat(get.status()).isEqualTo(200);
        assertThat(named(get.body(), term)).extracting(r -> r.get("room_id")).containsExactly(roomId);
        Answer post = peer.post(hs1Name, "/_matrix/federation/v1/publicRooms", search(term, 1, null));
        assertThat(post.status()).isEqualTo(200);
        assertThat(Json.list(post.body(), "chunk")).hasSize(1);
        Answer bad = peer.post(hs1Name, "/_matrix/federation/v1/publicRooms", Map.of("since", "garbage"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errcode()).isEqualTo("M_INVALID_PARAM");
        // Unsigned: refused before anything is read.
        Response unsigned = hs2.get("/_matrix/federation/v1/publicRooms", null);
        assertThat(unsigned.status()).isEqualTo(401);

        // A server that keeps its directory to itself: 403 to the peer, 502 naming it to our client.
        String hs3 = servers.get(2).serverName();
        Answer refused = peer.get(hs3, "/_matrix/federation/v1/publicRooms");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errcode()).isEqualTo("M_FORBIDDEN");
        Response relayed = hs2.get("/_matrix/client/v3/publicRooms?server=" + MatrixClient.encode(hs3), bob.accessToken());
        assertError(relayed, 502, "M_UNKNOWN");
        assertThat(relayed.error()).contains(hs3).contains("403").contains("M_FORBIDDEN");

        // A member from hs2 joining shows in hs1's count.
        hs2.join(bob, roomId, hs1Name).expect(200);
        until("hs1 counting bob", () -> named(hs2.get("/_matrix/client/v3/publicRooms?server=" + MatrixClient.encode(hs1Name),
                bob.accessToken()).expect(200).body(), term).get(0).get("num_joined_members").equals(2L));
    }
}
