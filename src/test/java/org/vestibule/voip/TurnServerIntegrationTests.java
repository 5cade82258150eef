package org.vestibule.voip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/** {@code GET /voip/turnServer} on a server without TURN and on one with TURN URIs and a shared secret. */
class TurnServerIntegrationTests {

    static final String PATH = "/_matrix/client/v3/voip/turnServer";

    static TestHomeservers servers;
    static MatrixClient plain;
    static MatrixClient withTurn;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2, index -> index == 0 ? new String[0] : new String[] {
                "--vestibule.voip.turn-uris=turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349?transport=tcp",
                "--vestibule.voip.turn-shared-secret=coturn-secret",
                "--vestibule.voip.turn-user-lifetime=2h"});
        plain = new MatrixClient(servers.get(0).clientBaseUrl());
        withTurn = new MatrixClient(servers.get(1).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void withoutATurnServerTheAnswerIsAnEmptyObject() {
        User alice = plain.register(unique("alice"));
        Response r = plain.get(PATH, alice.accessToken()).expect(200);
        assertThat(r.body()).isEmpty();
        assertThat(r.raw()).isEqualTo("{}");
        Response anonymous = plain.get(PATH, null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.errcode()).isEqualTo("M_MISSING_TOKEN");
    }

    @Test
    void withATurnServerTheCredentialsAreCoturnsRestScheme() throws Exception {
        User alice = withTurn.register(unique("alice"));
        long before = System.currentTimeMillis() / 1000;
        Response r = withTurn.get("/_matrix/client/r0/voip/turnServer", alice.accessToken()).expect(200);
        String username = r.string("username");
        assertThat(username).endsWith(":" + alice.userId());
        long expiry = Long.parseLong(username.substring(0, username.indexOf(':')));
        assertThat(expiry).isBetween(before + 7200, System.currentTimeMillis() / 1000 + 7200);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec("coturn-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        assertThat(r.string("password")).isEqualTo(Base64.getEncoder().encodeToString(
                mac.doFinal(username.getBytes(StandardCharsets.UTF_8))));
        assertThat(r.body()).containsEntry("ttl", 7200L).containsEntry("uris", List.of(
                "turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"));
        assertThat(r.body()).containsOnlyKeys("username", "password", "uris", "ttl");
        assertThat(withTurn.get(PATH, "not-a-token").errcode()).isEqualTo("M_UNKNOWN_TOKEN");
    }
}
