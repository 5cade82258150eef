package org.vestibule.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Json;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.VestibuleIntegrationTest;

/** The notary endpoints as a peer calls them. */
@VestibuleIntegrationTest
class KeyQueryIntegrationTests {

    static FakeFederationServer peer;

    @LocalServerPort
    int port;

    @Autowired
    ServerKeyring keyring;

    @BeforeAll
    static void startPeer() {
        peer = FakeFederationServer.start().servingKeys();
    }

    @AfterAll
    static void stopPeer() {
        peer.close();
    }

    record Answer(int status, Map<String, Object> body) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> serverKeys() {
            return (List<Map<String, Object>>) (List<?>) Json.list(body, "server_keys");
        }
    }

    private Answer send(HttpRequest.Builder request) throws Exception {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), StrictJsonParser.parseObject(response.body(), StrictJsonParser.Limits.REQUEST));
    }

    private Answer get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)));
    }

    private Answer post(String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_matrix/key/v2/query"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private void assertSignedByPeerAndUs(Map<String, Object> document) {
        assertThat(document).containsEntry("server_name", peer.serverName());
        assertThat(JsonSigning.verify(document, peer.serverName(), peer.signingKey().verifyKey())).isTrue();
        assertThat(JsonSigning.verify(document, keyring.serverName(), keyring.signingKey().verifyKey())).isTrue();
    }

    @Test
    void getQueriesOneServer() throws Exception {
        Answer answer = get("/_matrix/key/v2/query/" + peer.serverName());
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.serverKeys()).hasSize(1);
        assertSignedByPeerAndUs(answer.serverKeys().get(0));
        Answer again = get("/_matrix/key/v2/query/" + peer.serverName() + "?minimum_valid_until_ts=1");
        assertThat(again.serverKeys()).hasSize(1);
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(1);
    }

    @Test
    void postQueriesSeveralServersIncludingUs() throws Exception {
        Answer answer = post(CanonicalJson.encodeToString(Map.of("server_keys", Map.of(
                peer.serverName(), Map.of("ed25519:fake", Map.of("minimum_valid_until_ts", 1L)),
                keyring.serverName(), Map.of(),
                "localhost:1", Map.of(),
                "not a server!", Map.of()))));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.serverKeys()).hasSize(2);
        Map<String, Object> ours = answer.serverKeys().stream()
                .filter(d -> keyring.serverName().equals(d.get("server_name"))).findFirst().orElseThrow();
        assertThat(JsonSigning.verify(ours, keyring.serverName(), keyring.signingKey().verifyKey())).isTrue();
        assertSignedByPeerAndUs(answer.serverKeys().stream()
                .filter(d -> peer.serverName().equals(d.get("server_name"))).findFirst().orElseThrow());
    }

    @Test
    void unreachableServersGiveAnEmptyList() throws Exception {
        assertThat(get("/_matrix/key/v2/query/localhost:2").serverKeys()).isEmpty();
        assertThat(post("{\"server_keys\":{}}").serverKeys()).isEmpty();
    }

    @Test
    void badQueriesAreMatrixErrors() throws Exception {
        Answer notJson = post("{\"server_keys\":");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.body()).containsEntry("errcode", "M_NOT_JSON");
        Answer badShape = post("{\"server_keys\":[]}");
        assertThat(badShape.status()).isEqualTo(400);
        assertThat(badShape.body()).containsEntry("errcode", "M_BAD_JSON");
        Answer badCriteria = post("{\"server_keys\":{\"a.test\":{\"ed25519:x\":{\"minimum_valid_until_ts\":\"soon\"}}}}");
        assertThat(badCriteria.body()).containsEntry("errcode", "M_BAD_JSON");
        Answer badName = get("/_matrix/key/v2/query/bad%20name");
        assertThat(badName.status()).isEqualTo(400);
        assertThat(badName.body()).containsEntry("errcode", "M_INVALID_PARAM");
        Answer badTs = get("/_matrix/key/v2/query/a.test?minimum_valid_until_ts=soon");
        assertThat(badTs.status()).isEqualTo(400);
        assertThat(badTs.body()).containsEntry("errcode", "M_INVALID_PARAM");
    }
}
