package org.vestibule.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.SigningKey;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationResponse;
import org.vestibule.keys.RemoteServerKeys;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.support.TestCertificates;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestHomeservers.Homeserver;

/**
 * Two real Vestibule servers on loopback HTTPS: A signs a request to B, B fetches A's keys from A
 * over HTTPS and lets it through; and everything B refuses.
 */
class FederationTransportIntegrationTests {

    private static final String ECHO = "/_matrix/federation/v1/test/echo";

    static TestHomeservers servers;
    static Homeserver a;
    static Homeserver b;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        a = servers.get(0);
        b = servers.get(1);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    private static final HttpClient HTTPS = HttpClient.newBuilder().sslContext(TestCertificates.clientContext()).build();

    private static HttpResponse<byte[]> raw(Homeserver to, String method, String target, String authorization)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(to.federationBaseUrl() + target))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTPS.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static Map<String, Object> json(HttpResponse<byte[]> response) {
        return StrictJsonParser.parseObject(response.body(), StrictJsonParser.Limits.REQUEST);
    }

    @Test
    void aSignedRequestFromAIsAuthenticatedByB() {
        FederationClient client = a.bean(FederationClient.class);
        String target = ECHO + "/" + FederationClient.pathSegment("!room:" + b.serverName()) + "?ver=9&ver=10";
        FederationResponse response = client.get(b.serverName(), target);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.object()).containsEntry("origin", a.serverName()).containsEntry("uri", target);

        FederationResponse put = client.put(b.serverName(), ECHO + "/send/1", Map.of("pdus", List.of(), "origin", a.serverName()));
        assertThat(put.object().get("body")).isEqualTo("{\"origin\":\"" + a.serverName() + "\",\"pdus\":[]}");

        // B now holds A's key, fetched from A itself.
        ServerKeyring aKeys = a.bean(ServerKeyring.class);
        assertThat(b.bean(RemoteServerKeys.class).lookup(a.serverName(), aKeys.signingKey().keyId(), System.currentTimeMillis()))
                .isEqualTo(new RemoteServerKeys.Found(aKeys.signingKey().verifyKey()));
    }

    @Test
    void errorsComeBackAsTypedExceptions() {
        assertThatThrownBy(() -> a.bean(FederationClient.class).get(b.serverName(), "/_matrix/federation/v1/nothing_here"))
                .isInstanceOfSatisfying(FederationErrorResponseException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.errcode()).isEqualTo("M_UNRECOGNIZED");
                });
    }

    @Test
    void bRefusesRequestsThatAreNotProperlySignedByA() throws Exception {
        String target = ECHO + "/x";
        SigningKey aKey = a.bean(ServerKeyring.class).signingKey();

        HttpResponse<byte[]> none = raw(b, "GET", target, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(json(none)).containsEntry("errcode", "M_UNAUTHORIZED")
                .containsEntry("error", "Missing X-Matrix Authorization header");

        HttpResponse<byte[]> malformed = raw(b, "GET", target, "X-Matrix origin=" + a.serverName());
        assertThat(malformed.statusCode()).isEqualTo(401);
        assertThat((String) json(malformed).get("error")).startsWith("Malformed X-Matrix Authorization header");

        HttpResponse<byte[]> forA = raw(b, "GET", target, XMatrix.sign(aKey, "GET", target, a.serverName(), a.serverName(), null));
        assertThat(forA.statusCode()).isEqualTo(401);
        assertThat((String) json(forA).get("error")).contains("is not this server");

        HttpResponse<byte[]> otherUri = raw(b, "GET", target, XMatrix.sign(aKey, "GET", ECHO + "/y", a.serverName(),
                b.serverName(), null));
        assertThat(otherUri.statusCode()).isEqualTo(401);
        assertThat((String) json(otherUri).get("error")).startsWith("Invalid X-Matrix signature");

        SigningKey impostor = SigningKey.generate("ed25519:impostor");
        HttpResponse<byte[]> unknownKey = raw(b, "GET", target, XMatrix.sign(impostor, "GET", target, a.serverName(),
                b.serverName(), null));
        assertThat(unknownKey.statusCode()).isEqualTo(401);
        assertThat((String) json(unknownKey).get("error")).startsWith("Unknown key ed25519:impostor of " + a.serverName());

        HttpResponse<byte[]> offline = raw(b, "GET", target, XMatrix.sign(impostor, "GET", target, "localhost:1",
                b.serverName(), null));
        assertThat(offline.statusCode()).isEqualTo(401);
        assertThat((String) json(offline).get("error")).startsWith("Could not get the keys of localhost:1");
    }

    @Test
    void bActsAsANotaryForAsKeys() throws Exception {
        HttpResponse<byte[]> response = raw(b, "GET", "/_matrix/key/v2/query/" + a.serverName(), null);
        assertThat(response.statusCode()).isEqualTo(200);
        List<Object> documents = Json.list(json(response), "server_keys");
        assertThat(documents).hasSize(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> document = (Map<String, Object>) documents.get(0);
        ServerKeyring aKeys = a.bean(ServerKeyring.class);
        ServerKeyring bKeys = b.bean(ServerKeyring.class);
        assertThat(JsonSigning.verify(document, a.serverName(), aKeys.signingKey().verifyKey())).isTrue();
        assertThat(JsonSigning.verify(document, b.serverName(), bKeys.signingKey().verifyKey())).isTrue();
        assertThat(a.bean(FederationClient.class).serverKeys(b.serverName())).containsEntry("server_name", b.serverName());
    }
}
