package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;
import static org.vestibule.support.Eventually.eventually;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestNames;

/**
 * The published room directory across servers: our client lists Synapse's with {@code server=},
 * Synapse's client lists ours, each with a filter and in pages whose tokens the other server made.
 */
@DisplayName("Room directory")
class DirectoryInteropTests {

    static Synapse synapse;
    static TestHomeservers servers;
    static String vestibule;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> new String[0]);
        vestibule = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    static String publicRooms(String server) {
        return "/_matrix/client/v3/publicRooms?server=" + MatrixClient.encode(server);
    }

    /** The chunk's entries whose name contains the term. */
    static List<Map<String, Object>> named(Response r, String term) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : Json.list(r.body(), "chunk")) {
            Map<String, Object> room = Json.object(Map.of("r", o), "r");
            if (room.get("name") instanceof String n && n.contains(term)) {
                out.add(room);
            }
        }
        return out;
    }

    static Map<String, Object> filter(String term, Integer limit, String since) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("filter", Map.of("generic_search_term", term));
        if (limit != null) {
            body.put("limit", limit);
        }
        if (since != null) {
            body.put("since", since);
        }
        return body;
    }

    @Test
    @DisplayName("Vestibule's client lists Synapse's public rooms with server=, filtered and in pages")
    void ourClientListsSynapsesDirectory() {
        Member bob = synapseUser(synapse, "bob");
        Member alice = vestibuleUser(servers.get(0), "alice");
        String term = TestNames.unique("synapseroom");
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            rooms.add(bob.createRoom(Map.of("visibility", "public", "preset", "public_chat", "name", term + " " + i,
                    "topic", "hosted by Synapse")));
        }

        // Synapse fills its directory's statistics as it goes: wait until both rooms are listed.
        Response listed = eventually("Synapse listing both rooms", () -> {
            Response r = alice.client().post(publicRooms(synapse.serverName()), alice.user().accessToken(),
                    filter(term, null, null));
            return r.status() == 200 && named(r, term).size() == 2 ? r : null;
        });
        Map<String, Object> first = named(listed, term).get(0);
        assertThat(rooms).contains((String) first.get("room_id"));
        assertThat(first).containsEntry("topic", "hosted by Synapse").containsEntry("num_joined_members", 1L)
                .containsEntry("world_readable", false).containsEntry("guest_can_join", false)
                .containsEntry("join_rule", "public");

        // GET, unfiltered, then page by page with Synapse's own tokens.
        Response all = alice.client().get(publicRooms(synapse.serverName()), alice.user().accessToken());
        assertThat(all.status()).as(all.raw()).isEqualTo(200);
        assertThat(named(all, term)).hasSize(2);
        Response page1 = alice.client().post(publicRooms(synapse.serverName()), alice.user().accessToken(),
                filter(term, 1, null)).expect(200);
        assertThat(Json.list(page1.body(), "chunk")).hasSize(1);
        assertThat(page1.string("next_batch")).isNotNull();
        Response page2 = alice.client().post(publicRooms(synapse.serverName()), alice.user().accessToken(),
                filter(term, 1, page1.string("next_batch"))).expect(200);
        assertThat(named(page2, term)).hasSize(1);
        assertThat(List.of(named(page1, term).get(0).get("room_id"), named(page2, term).get(0).get("room_id")))
                .containsExactlyInAnyOrderElementsOf(rooms);
    }

    @Test
    @DisplayName("Synapse's client lists Vestibule's public rooms with server=, filtered and in pages")
    void synapsesClientListsOurDirectory() {
        Member alice = vestibuleUser(servers.get(0), "alice");
        Member bob = synapseUser(synapse, "bob");
        String term = TestNames.unique("vestibuleroom");
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            rooms.add(alice.createRoom(Map.of("visibility", "public", "preset", "public_chat", "name", term + " " + i,
                    "topic", "hosted by Vestibule", "creation_content", i == 1 ? Map.of("type", "m.space") : Map.of())));
        }

        // Unfiltered GET (Synapse asks us with a federation GET).
        Response all = bob.client().get(publicRooms(vestibule), bob.user().accessToken());
        assertThat(all.status()).as(all.raw()).isEqualTo(200);
        List<Map<String, Object>> found = named(all, term);
        assertThat(found).extracting(r -> r.get("room_id")).containsExactlyInAnyOrderElementsOf(rooms);
        assertThat(found).allSatisfy(r -> assertThat(r).containsEntry("topic", "hosted by Vestibule")
                .containsEntry("num_joined_members", 1L).containsEntry("join_rule", "public"));
        assertThat(found).anySatisfy(r -> assertThat(r).containsEntry("room_type", "m.space"));

        // Filtered (a federation POST), one per page, following our tokens through Synapse.
        Response page1 = bob.client().post(publicRooms(vestibule), bob.user().accessToken(), filter(term, 1, null));
        assertThat(page1.status()).as(page1.raw()).isEqualTo(200);
        assertThat(Json.list(page1.body(), "chunk")).hasSize(1);
        String next = page1.string("next_batch");
        assertThat(next).isNotNull();
        Response page2 = bob.client().post(publicRooms(vestibule), bob.user().accessToken(), filter(term, 1, next))
                .expect(200);
        assertThat(Json.list(page2.body(), "chunk")).hasSize(1);
        assertThat(page2.body()).doesNotContainKey("next_batch").containsKey("prev_batch");
        assertThat(List.of(named(page1, term).get(0).get("room_id"), named(page2, term).get(0).get("room_id")))
                .containsExactlyInAnyOrderElementsOf(rooms);

        // A room taken off our directory is gone from what Synapse's client sees (a new filter: Synapse caches answers).
        alice.client().put("/_matrix/client/v3/directory/list/room/" + MatrixClient.encode(rooms.get(0)),
                alice.user().accessToken(), Map.of("visibility", "private")).expect(200);
        Response after = bob.client().post(publicRooms(vestibule), bob.user().accessToken(), filter(term + " ", 10, null))
                .expect(200);
        assertThat(named(after, term)).extracting(r -> r.get("room_id")).containsExactly(rooms.get(1));
    }
}
