package org.vestibule.profile;

import static org.vestibule.support.TestNames.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;

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

/** Profiles on two servers: local get/set and its errors, remote profiles over query/profile, member events. */
class ProfilesIntegrationTests {

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

    static String path(String userId, String key) {
        return "/_matrix/client/v3/profile/" + MatrixClient.encode(userId) + (key == null ? "" : "/" + key);
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    @Test
    void localProfileGetSetAndErrors() {
        User alice = hs1.register(unique("alice"));
        User bob = hs1.register(unique("bob"));
        String localpart = alice.userId().substring(1, alice.userId().indexOf(':'));

        // Registration sets the localpart as displayname; no avatar yet.
        assertThat(hs1.get(path(alice.userId(), "displayname"), null).expect(200).body())
                .isEqualTo(Map.of("displayname", localpart));
        assertError(hs1.get(path(alice.userId(), "avatar_url"), null), 404, "M_NOT_FOUND");

        hs1.put(path(alice.userId(), "displayname"), alice.accessToken(), Map.of("displayname", "Alice A")).expect(200);
        hs1.put(path(alice.userId(), "avatar_url"), alice.accessToken(), Map.of("avatar_url", "mxc://x/y")).expect(200);
        assertThat(hs1.get(path(alice.userId(), null), null).expect(200).body())
                .isEqualTo(Map.of("displayname", "Alice A", "avatar_url", "mxc://x/y"));

        assertError(hs1.put(path(alice.userId(), "displayname"), bob.accessToken(), Map.of("displayname", "x")), 403,
                "M_FORBIDDEN");
        assertError(hs1.put(path(alice.userId(), "displayname"), null, Map.of("displayname", "x")), 401,
                "M_MISSING_TOKEN");
        assertError(hs1.put(path(alice.userId(), "displayname"), alice.accessToken(), Map.of("other", "x")), 400,
                "M_MISSING_PARAM");
        assertError(hs1.put(path(alice.userId(), "displayname"), alice.accessToken(), Map.of("displayname", 5)), 400,
                "M_BAD_JSON");
        assertError(hs1.put(path(alice.userId(), "avatar_url"), alice.accessToken(), Map.of("avatar_url", "http://x")),
                400, "M_INVALID_PARAM");
        assertError(hs1.put(path(alice.userId(), "displayname"), alice.accessToken(),
                Map.of("displayname", "x".repeat(257))), 400, "M_INVALID_PARAM");
        assertError(hs1.put(path(alice.userId(), "m.tz"), alice.accessToken(), Map.of("m.tz", "Europe/Paris")), 403,
                "M_FORBIDDEN");
        assertError(hs1.put(path(alice.userId(), "Not-A-Key"), alice.accessToken(), Map.of("Not-A-Key", "x")), 400,
                "M_INVALID_PARAM");
        assertError(hs1.get(path(alice.userId(), "m.tz"), null), 404, "M_NOT_FOUND");
        assertError(hs1.get(path("@nobody:" + hs1Name, null), null), 404, "M_NOT_FOUND");
        assertError(hs1.get(path("@nobody:" + hs1Name, "displayname"), null), 404, "M_NOT_FOUND");
        assertError(hs1.get(path("not-a-user", null), null), 400, "M_INVALID_PARAM");

        hs1.request("DELETE", path(alice.userId(), "avatar_url"), alice.accessToken(), null).expect(200);
        assertError(hs1.get(path(alice.userId(), "avatar_url"), null), 404, "M_NOT_FOUND");
        assertThat(hs1.get(path(alice.userId(), null), null).expect(200).body()).isEqualTo(Map.of("displayname", "Alice A"));
    }

    @Test
    void remoteProfilesOverFederation() {
        User alice = hs1.register(unique("alice"));
        hs1.put(path(alice.userId(), "displayname"), alice.accessToken(), Map.of("displayname", "Remote Alice")).expect(200);
        hs1.put(path(alice.userId(), "avatar_url"), alice.accessToken(), Map.of("avatar_url", "mxc://a/b")).expect(200);

        assertThat(hs2.get(path(alice.userId(), null), null).expect(200).body())
                .isEqualTo(Map.of("displayname", "Remote Alice", "avatar_url", "mxc://a/b"));
        assertThat(hs2.get(path(alice.userId(), "displayname"), null).expect(200).body())
                .isEqualTo(Map.of("displayname", "Remote Alice"));
        assertError(hs2.get(path("@nobody:" + hs1Name, null), null), 404, "M_NOT_FOUND");
        hs1.request("DELETE", path(alice.userId(), "avatar_url"), alice.accessToken(), null).expect(200);
        assertError(hs2.get(path(alice.userId(), "avatar_url"), null), 404, "M_NOT_FOUND");

        // The federation endpoint itself, as a peer sees it.
        FederationDriver peer = new FederationDriver(servers.get(1));
        Answer all = peer.get(hs1Name, "/_matrix/federation/v1/query/profile?user_id=" + MatrixClient.encode(alice.userId()));
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.body()).isEqualTo(Map.of("displayname", "Remote Alice"));
        Answer field = peer.get(hs1Name, "/_matrix/federation/v1/query/profile?user_id="
                + MatrixClient.encode(alice.userId()) + "&field=displayname");
        assertThat(field.body()).isEqualTo(Map.of("displayname", "Remote Alice"));
        Answer unknown = peer.get(hs1Name, "/_matrix/federation/v1/query/profile?user_id="
                + MatrixClient.encode("@nobody:" + hs1Name));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errcode()).isEqualTo("M_NOT_FOUND");
        Answer unknownField = peer.get(hs1Name, "/_matrix/federation/v1/query/profile?user_id="
                + MatrixClient.encode(alice.userId()) + "&field=m.tz");
        assertThat(unknownField.status()).isEqualTo(404);
        assertThat(unknownField.errcode()).isEqualTo("M_NOT_FOUND");
        Answer foreign = peer.get(hs1Name, "/_matrix/federation/v1/query/profile?user_id="
                + MatrixClient.encode("@x:elsewhere.example"));
        assertThat(foreign.status()).isEqualTo(400);
        assertThat(foreign.errcode()).isEqualTo("M_INVALID_PARAM");
        Answer missing = peer.get(hs1Name, "/_matrix/federation/v1/query/profile");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errcode()).isEqualTo("M_MISSING_PARAM");
    }

    @Test
    void aChangeIsCarriedIntoMemberEventsEverywhere() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        hs2.join(bob, room, hs1Name).expect(200);
        hs1.put(path(alice.userId(), "avatar_url"), alice.accessToken(), Map.of("avatar_url", "mxc://a/1")).expect(200);
        hs1.put(path(alice.userId(), "displayname"), alice.accessToken(), Map.of("displayname", "Alice Two")).expect(200);

        Map<String, Object> onHs1 = hs1.getState(alice, room, "m.room.member", alice.userId()).expect(200).body();
        assertThat(onHs1).containsEntry("membership", "join").containsEntry("displayname", "Alice Two")
                .containsEntry("avatar_url", "mxc://a/1");
        until("alice's new displayname on hs2", () -> "Alice Two".equals(hs2.getState(bob, room, "m.room.member",
                alice.userId()).body().get("displayname")));
        assertThat(hs2.joinedMembers(bob, room).get(alice.userId()))
                .isEqualTo(Map.of("display_name", "Alice Two", "avatar_url", "mxc://a/1"));

        // bob (on hs2) changes his, and hs1 sees it; clearing removes it from the member event.
        hs2.put(path(bob.userId(), "displayname"), bob.accessToken(), Map.of("displayname", "")).expect(200);
        until("bob's cleared displayname on hs1", () -> {
            Map<String, Object> member = hs1.getState(alice, room, "m.room.member", bob.userId()).body();
            return "join".equals(member.get("membership")) && !member.containsKey("displayname");
        });
        assertError(hs1.get(path(bob.userId(), "displayname"), null), 404, "M_NOT_FOUND");
    }
}
