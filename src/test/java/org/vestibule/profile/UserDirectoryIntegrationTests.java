package org.vestibule.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * {@code POST /user_directory/search}: every local user; users of other servers who share a room
 * with the searcher or are joined to a public room we know; by user ID or displayname,
 * case-insensitively; with the limit and its {@code limited} flag.
 */
class UserDirectoryIntegrationTests {

    static final String PATH = "/_matrix/client/v3/user_directory/search";

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

    static Response search(User user, String term) {
        return hs1.post(PATH, user.accessToken(), Map.of("search_term", term)).expect(200);
    }

    static List<Object> userIds(Response r) {
        return Json.list(r.body(), "results").stream().map(o -> ((Map<?, ?>) o).get("user_id"))
                .map(Object.class::cast).toList();
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    @Test
    void localUsersAreFoundByUserIdOrDisplaynameInAnyCase() {
        User alice = hs1.register(unique("alice"));
        String zedName = unique("zed");
        User zed = hs1.register(zedName);
        String word = unique("Zorro");
        hs1.put("/_matrix/client/v3/profile/" + MatrixClient.encode(zed.userId()) + "/displayname", zed.accessToken(),
                Map.of("displayname", word + " the Searchable")).expect(200);
        hs1.put("/_matrix/client/v3/profile/" + MatrixClient.encode(zed.userId()) + "/avatar_url", zed.accessToken(),
                Map.of("avatar_url", "mxc://example.org/zed")).expect(200);

        // No room in common: local users are searched all the same.
        Response byName = search(alice, word.toUpperCase());
        assertThat(byName.body()).containsEntry("limited", false);
        assertThat(Json.list(byName.body(), "results")).containsExactly(Map.of("user_id", zed.userId(),
                "display_name", word + " the Searchable", "avatar_url", "mxc://example.org/zed"));
        assertThat(userIds(search(alice, zedName.toUpperCase()))).containsExactly(zed.userId());
        // A substring of the user ID's server part matches too (the whole user ID is searched).
        assertThat(userIds(search(alice, zedName + ":"))).containsExactly(zed.userId());
        // LIKE's wildcards are plain characters here.
        assertThat(userIds(search(alice, "%"))).isEmpty();
        assertThat(userIds(search(alice, "_"))).isEmpty();
        assertThat(search(alice, "   ").body()).containsEntry("results", List.of()).containsEntry("limited", false);
    }

    @Test
    void theLimitCutsTheResultsAndSaysSo() {
        User alice = hs1.register(unique("alice"));
        String prefix = unique("many");
        for (int i = 0; i < 3; i++) {
            hs1.register(prefix + "x" + i);
        }
        Response two = hs1.post(PATH, alice.accessToken(), Map.of("search_term", prefix, "limit", 2)).expect(200);
        assertThat(userIds(two)).hasSize(2);
        assertThat(two.body()).containsEntry("limited", true);
        Response all = hs1.post(PATH, alice.accessToken(), Map.of("search_term", prefix, "limit", 1000)).expect(200);
        assertThat(userIds(all)).hasSize(3);
        assertThat(all.body()).containsEntry("limited", false);
        Response none = hs1.post(PATH, alice.accessToken(), Map.of("search_term", prefix, "limit", 0)).expect(200);
        assertThat(userIds(none)).isEmpty();
        assertThat(none.body()).containsEntry("limited", true);
    }

    @Test
    void usersOfOtherServersAreFoundWhenTheyShareARoomOrAreInAPublicRoom() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        User carol = hs2.register(unique("carol"));
        User dave = hs2.register(unique("dave"));
        String hs1Name = servers.get(0).serverName();

        // Bob shares a private room with alice.
        String shared = hs1.createRoom(alice, Map.of("preset", "private_chat", "invite", List.of(bob.userId())));
        until("bob invited", () -> hs2.get("/_matrix/client/v3/sync?timeout=0", bob.accessToken()).expect(200)
                .raw().contains(shared));
        hs2.join(bob, shared, hs1Name).expect(200);
        // Dave is in a public room of hs1's that alice is not in; carol only in a room hs1 has never heard of.
        User erin = hs1.register(unique("erin"));
        String open = hs1.createRoom(erin, Map.of("preset", "public_chat"));
        hs2.join(dave, open, hs1Name).expect(200);
        hs2.createRoom(carol, Map.of("preset", "private_chat"));
        until("hs1 seeing bob and dave", () -> hs1.joinedMembers(alice, shared).containsKey(bob.userId())
                && hs1.joinedMembers(erin, open).containsKey(dave.userId()));

        Response foundBob = search(alice, bob.userId().substring(1, bob.userId().indexOf(':')).toUpperCase());
        assertThat(Json.list(foundBob.body(), "results")).containsExactly(Map.of("user_id", bob.userId(),
                "display_name", bob.userId().substring(1, bob.userId().indexOf(':'))));
        assertThat(userIds(search(alice, dave.userId()))).containsExactly(dave.userId());
        assertThat(userIds(search(alice, carol.userId()))).isEmpty();

        // A remote user's displayname, as their member event carries it, is searched too.
        String word = unique("Remotely");
        hs2.put("/_matrix/client/v3/profile/" + MatrixClient.encode(bob.userId()) + "/displayname", bob.accessToken(),
                Map.of("displayname", word + " Bob")).expect(200);
        until("hs1 seeing bob's new name", () -> userIds(search(alice, word.toLowerCase())).contains(bob.userId()));

        // Once bob left the shared room (and it is not public), alice no longer finds him.
        hs2.leave(bob, shared).expect(200);
        until("hs1 seeing bob leave", () -> !hs1.joinedMembers(alice, shared).containsKey(bob.userId()));
        assertThat(userIds(search(alice, word))).isEmpty();
    }

    @Test
    void badRequests() {
        User alice = hs1.register(unique("alice"));
        assertError(hs1.post(PATH, alice.accessToken(), Map.of()), 400, "M_MISSING_PARAM");
        assertError(hs1.post(PATH, alice.accessToken(), Map.of("search_term", 5)), 400, "M_BAD_JSON");
        assertError(hs1.post(PATH, alice.accessToken(), Map.of("search_term", "a", "limit", "10")), 400, "M_BAD_JSON");
        assertError(hs1.post(PATH, alice.accessToken(), Map.of("search_term", "a", "limit", -1)), 400, "M_INVALID_PARAM");
        assertError(hs1.post(PATH, alice.accessToken(), Map.of("search_term", "a".repeat(1001))), 400, "M_INVALID_PARAM");
        assertError(hs1.post(PATH, alice.accessToken(), "search_term=a".getBytes()), 400, "M_NOT_JSON");
        assertError(hs1.post(PATH, null, Map.of("search_term", "a")), 401, "M_MISSING_TOKEN");
    }
}
