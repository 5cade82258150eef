package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/** Under vestibule.join.errcode-profile=msc3083-draft, "cannot verify" is the seed MSC's 400 M_CANNOT_ALLOW. */
class DraftErrcodeProfileIntegrationTests {

    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2, "--vestibule.join.errcode-profile=msc3083-draft");
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void unverifiableAllowedRoomsAnswerCannotAllowAndOtherRowsStayTheSame() {
        MatrixClient hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        FederationDriver remote = new FederationDriver(servers.get(1));
        String resident = servers.get(0).serverName();
        User alice = hs1.register("alice");
        String space = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        String unknown = hs1.createRoom(alice, Map.of("preset", "public_chat", "initial_state", List.of(Map.of(
                "type", "m.room.join_rules", "state_key", "",
                "content", MatrixClient.restrictedJoinRules("!elsewhere:unknown.invalid")))));
        String known = hs1.createRoom(alice, Map.of("preset", "public_chat", "initial_state", List.of(Map.of(
                "type", "m.room.join_rules", "state_key", "", "content", MatrixClient.restrictedJoinRules(space)))));

        Answer cannotAllow = remote.makeJoin(resident, unknown, remote.userId("bob"));
        assertThat(cannotAllow.status()).isEqualTo(400);
        assertThat(cannotAllow.errcode()).isEqualTo("M_CANNOT_ALLOW");
        Answer forbidden = remote.makeJoin(resident, known, remote.userId("bob"));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.errcode()).isEqualTo("M_FORBIDDEN");

        // The admin API explains the same decision without creating anything.
        User admin = registerAdmin(hs1);
        MatrixClient.Response check = hs1.get("/_vestibule/admin/v1/rooms/" + MatrixClient.encode(unknown)
                + "/join-check/" + MatrixClient.encode(remote.userId("bob")), admin.accessToken()).expect(200);
        assertThat(check.body()).containsEntry("decision", "unable_to_authorise").containsEntry("errcode", "M_CANNOT_ALLOW")
                .containsEntry("status", 400L);
        assertThat(check.body().get("conditions")).isEqualTo(List.of(Map.of("room_id", "!elsewhere:unknown.invalid",
                "status", "unknown_room")));
        MatrixClient.Response notAdmin = hs1.get("/_vestibule/admin/v1/rooms/" + MatrixClient.encode(unknown)
                + "/join-check/" + MatrixClient.encode(remote.userId("bob")), alice.accessToken());
        assertThat(notAdmin.status()).isEqualTo(403);
    }

    static User registerAdmin(MatrixClient client) {
        // No shared secret is configured here, so make the admin through the test's own database access.
        User admin = client.register("admin");
        servers.get(0).bean(JdbcTemplate.class)
                .update("update users set admin = true where user_id = ?", admin.userId());
        return admin;
    }
}
