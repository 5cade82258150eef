package org.vestibule.directory;

import static org.vestibule.support.TestNames.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Room aliases on two servers: createRoom's room_alias_name, PUT/GET/DELETE of the directory and
 * their errors, federation query/directory, and joining by another server's alias.
 */
class RoomAliasesIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static String hs1Name;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs1Name = servers.get(0).serverName();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static String path(String alias) {
        return "/_matrix/client/v3/directory/room/" + MatrixClient.encode(alias);
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    @Test
    void createRoomWithAnAliasSetsTheCanonicalAliasAndResolvesLocallyAndOverFederation() {
        User alice = hs1.register(unique("alice"));
        String name = unique("pub");
        String alias = "#" + name + ":" + hs1Name;
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat", "room_alias_name", name));
        assertThat(hs1.getState(alice, room, "m.room.canonical_alias", "").expect(200).body())
                .containsEntry("alias", alias);

        Response local = hs1.get(path(alias), null).expect(200);
        assertThat(local.string("room_id")).isEqualTo(room);
        assertThat(local.body().get("servers")).isEqualTo(List.of(hs1Name));

        Answer query = new FederationDriver(servers.get(1)).get(hs1Name, "/_matrix/federation/v1/query/directory?room_alias="
                + MatrixClient.encode(alias));
        assertThat(query.status()).isEqualTo(200);
        assertThat(query.body()).containsEntry("room_id", room).containsEntry("servers", List.of(hs1Name));

        Response remote = hs2.get(path(alias), null).expect(200);
        assertThat(remote.string("room_id")).isEqualTo(room);
        assertThat(remote.body().get("servers")).isEqualTo(List.of(hs1Name));

        assertThat(hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/aliases", alice.accessToken())
                .expect(200).body().get("aliases")).isEqualTo(List.of(alias));

        // The same alias again: 400 M_ROOM_IN_USE (createRoom) and 409 M_UNKNOWN (PUT).
        assertError(hs1.post("/_matrix/client/v3/createRoom", alice.accessToken(), Map.of("room_alias_name", name)),
                400, "M_ROOM_IN_USE");
        assertError(hs1.put(path(alias), alice.accessToken(), Map.of("room_id", room)), 409, "M_UNKNOWN");
        assertError(hs1.post("/_matrix/client/v3/createRoom", alice.accessToken(), Map.of("room_alias_name", "a:b")),
                400, "M_INVALID_PARAM");
    }

    @Test
    void joinByAnotherServersAliasGoesThroughTheAliasServer() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String alias = "#" + unique("lobby") + ":" + hs1Name;
        hs1.put(path(alias), alice.accessToken(), Map.of("room_id", room)).expect(200);

        Response joined = hs2.post("/_matrix/client/v3/join/" + MatrixClient.encode(alias), bob.accessToken(), Map.of())
                .expect(200);
        assertThat(joined.string("room_id")).isEqualTo(room);
        until("bob's join on hs1", () -> hs1.joinedMembers(alice, room).containsKey(bob.userId()));

        // Now both servers are in the room: the alias names both, the answering server first (as Synapse).
        assertThat(hs2.get(path(alias), null).expect(200).body().get("servers"))
                .isEqualTo(List.of(servers.get(1).serverName(), hs1Name));
        assertThat(hs1.get(path(alias), null).expect(200).body().get("servers"))
                .isEqualTo(List.of(hs1Name, servers.get(1).serverName()));

        assertError(hs2.post("/_matrix/client/v3/join/" + MatrixClient.encode("#nope:" + hs1Name), bob.accessToken(),
                Map.of()), 404, "M_NOT_FOUND");
    }

    @Test
    void aliasCrudErrors() {
        User alice = hs1.register(unique("alice"));
        User mallory = hs1.register(unique("mallory"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String alias = "#" + unique("crud") + ":" + hs1Name;

        // Not ours, not an alias, no room_id, unknown room, not a member.
        assertError(hs1.put(path("#x:" + servers.get(1).serverName()), alice.accessToken(), Map.of("room_id", room)),
                400, "M_INVALID_PARAM");
        assertError(hs1.put(path("nohash:" + hs1Name), alice.accessToken(), Map.of("room_id", room)), 400,
                "M_INVALID_PARAM");
        assertError(hs1.put(path(alias), alice.accessToken(), Map.of()), 400, "M_MISSING_PARAM");
        assertError(hs1.put(path(alias), alice.accessToken(), Map.of("room_id", "!unknown:" + hs1Name)), 404,
                "M_NOT_FOUND");
        assertError(hs1.put(path(alias), mallory.accessToken(), Map.of("room_id", room)), 403, "M_FORBIDDEN");
        assertError(hs1.put(path(alias), null, Map.of("room_id", room)), 401, "M_MISSING_TOKEN");

        hs1.put(path(alias), alice.accessToken(), Map.of("room_id", room)).expect(200);
        assertThat(hs1.get(path(alias), null).expect(200).string("room_id")).isEqualTo(room);

        // mallory joins but has PL 0, below m.room.canonical_alias's 50: she may not delete it.
        hs1.join(mallory, room).expect(200);
        assertError(hs1.request("DELETE", path(alias), mallory.accessToken(), null), 403, "M_FORBIDDEN");
        assertError(hs1.request("DELETE", path("#x:" + servers.get(1).serverName()), alice.accessToken(), null), 400,
                "M_INVALID_PARAM");
        hs1.request("DELETE", path(alias), alice.accessToken(), null).expect(200);
        assertError(hs1.request("DELETE", path(alias), alice.accessToken(), null), 404, "M_NOT_FOUND");
        assertError(hs1.get(path(alias), null), 404, "M_NOT_FOUND");
        assertError(hs2.get(path(alias), null), 404, "M_NOT_FOUND");
        assertError(hs1.get(path("nohash"), null), 400, "M_INVALID_PARAM");
        assertError(hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/aliases",
                hs1.register(unique("outsider")).accessToken()), 403, "M_FORBIDDEN");

        // Federation: unknown alias 404, someone else's 400, missing parameter 400.
        FederationDriver remote = new FederationDriver(servers.get(1));
        Answer unknown = remote.get(hs1Name, "/_matrix/federation/v1/query/directory?room_alias="
                + MatrixClient.encode(alias));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errcode()).isEqualTo("M_NOT_FOUND");
        Answer foreign = remote.get(hs1Name, "/_matrix/federation/v1/query/directory?room_alias="
                + MatrixClient.encode("#a:elsewhere.example"));
        assertThat(foreign.status()).isEqualTo(400);
        assertThat(foreign.errcode()).isEqualTo("M_INVALID_PARAM");
        Answer missing = remote.get(hs1Name, "/_matrix/federation/v1/query/directory");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errcode()).isEqualTo("M_MISSING_PARAM");
    }
}
