package org.vestibule.federation.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.SigningKey;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.XMatrix;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * X-Matrix on a whole server: requests signed by a fake peer whose keys the server fetches over
 * HTTPS, and every way a request can fail to authenticate.
 */
@VestibuleIntegrationTest
class InboundAuthenticationIntegrationTests {

    private static final String US = "test.vestibule.invalid";
    private static final String ECHO = "/_matrix/federation/v1/test/echo";

    static FakeFederationServer peer;

    @LocalServerPort
    int port;

    @Autowired
    ServerKeyring keyring;

    HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startPeer() {
        peer = FakeFederationServer.start().servingKeys();
    }

    @AfterAll
    static void stopPeer() {
        peer.close();
    }

    @BeforeEach
    void resetCalls() {
        EchoTestController.calls.set(0);
    }

    record Answer(int status, Map<String, Object> body) {
        Object get(String key) {
            return body.get(key);
        }
    }

    private Answer send(String method, String target, String body, String... authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (String a : authorization) {
            request.header("Authorization", a);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), StrictJsonParser.parseObject(response.body(), StrictJsonParser.Limits.REQUEST));
    }

    /** The header the peer would send: signed over exactly what we send. */
    private static String signed(String method, String target, Object content) {
        return XMatrix.sign(peer.signingKey(), method, target, peer.serverName(), US, content);
    }

    private void assertUnauthorized(Answer answer, String message) {
        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.get("errcode")).isEqualTo("M_UNAUTHORIZED");
        assertThat((String) answer.get("error")).contains(message);
        assertThat(EchoTestController.calls).hasValue(0);
    }

    @Test
    void aSignedGetReachesTheControllerWithItsOrigin() throws Exception {
        String target = ECHO + "/%21room%3Aremote/%40a%3Adomain?ver=9&ver=10&q=%20x%2By";
        Answer answer = send("GET", target, null, signed("GET", target, null));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.get("origin")).isEqualTo(peer.serverName());
        assertThat(answer.get("uri")).isEqualTo(target);
        assertThat(EchoTestController.calls).hasValue(1);
    }

    @Test
    void aSignedPutCoversItsBodyAndTheControllerCanStillReadIt() throws Exception {
        String target = ECHO + "/send/txn1";
        Map<String, Object> content = Map.of("origin", peer.serverName(), "pdus", List.of(), "n", 1L);
        // Not canonical on the wire: the signature covers the parsed content, not the bytes.
        String wire = "{ \"pdus\": [], \"origin\": \"" + peer.serverName() + "\", \"n\": 1 }";
        Answer answer = send("PUT", target, wire, signed("PUT", target, content));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.get("body")).isEqualTo(wire);
        EchoTestController.calls.set(0);
        Answer tampered = send("PUT", target, wire.replace("1 }", "2 }"), signed("PUT", target, content));
        assertUnauthorized(tampered, "Invalid X-Matrix signature");
    }

    @Test
    void anEmptyQueryMayBeSignedWithOrWithoutItsQuestionMark() throws Exception {
        String target = ECHO + "/empty-query?";
        assertThat(send("GET", target, null, signed("GET", target, null)).status()).isEqualTo(200);
        assertThat(send("GET", target, null, signed("GET", ECHO + "/empty-query", null)).status()).isEqualTo(200);
    }

    @Test
    void missingDestinationIsAcceptedAsSignedForUs() throws Exception {
        String target = ECHO + "/old";
        String sig = signed("GET", target, null);
        String withoutDestination = sig.replace(",destination=\"" + US + "\"", "");
        assertThat(withoutDestination).doesNotContain("destination");
        assertThat(send("GET", target, null, withoutDestination).status()).isEqualTo(200);
    }

    @Test
    void anyOneValidHeaderOfSeveralIsEnough() throws Exception {
        String target = ECHO + "/several";
        Answer answer = send("GET", target, null, "Bearer abc", "X-Matrix origin=garbage", signed("GET", target, null));
        assertThat(answer.status()).isEqualTo(200);
    }

    @Test
    void requestsFromOurselvesNeedNoNetwork() throws Exception {
        String target = ECHO + "/self";
        String header = XMatrix.sign(keyring.signingKey(), "GET", target, US, US, null);
        Answer answer = send("GET", target, null, header);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.get("origin")).isEqualTo(US);
    }

    @Test
    void noHeaderIs401() throws Exception {
        assertUnauthorized(send("GET", ECHO + "/x", null), "Missing X-Matrix Authorization header");
        assertUnauthorized(send("GET", ECHO + "/x", null, "Bearer abcdef"), "Missing X-Matrix Authorization header");
    }

    @Test
    void malformedHeadersAre401() throws Exception {
        assertUnauthorized(send("GET", ECHO + "/x", null, "X-Matrix origin=\"a.test\",key=\"ed25519:1\""),
                "Malformed X-Matrix Authorization header: parameter 'sig' is missing");
        assertUnauthorized(send("GET", ECHO + "/x", null, "X-Matrix \"garbage"), "Malformed");
        assertUnauthorized(send("GET", ECHO + "/x", null, "X-Matrix origin=a.test,key=rsa:1,sig=abc"),
                "not an ed25519 key ID");
    }

    @Test
    void aRequestForAnotherServerIs401() throws Exception {
        String target = ECHO + "/x";
        String elsewhere = XMatrix.sign(peer.signingKey(), "GET", target, peer.serverName(), "elsewhere.test", null);
        assertUnauthorized(send("GET", target, null, elsewhere),
                "The X-Matrix destination 'elsewhere.test' is not this server (" + US + ")");
    }

    @Test
    void badSignaturesAre401() throws Exception {
        String target = ECHO + "/x";
        assertUnauthorized(send("GET", target, null, signed("GET", ECHO + "/y", null)), "Invalid X-Matrix signature by "
                + peer.serverName() + " with ed25519:fake over GET " + target);
        assertUnauthorized(send("GET", target, null, signed("PUT", target, null)), "Invalid X-Matrix signature");
        assertUnauthorized(send("GET", target + "?a=1", null, signed("GET", target, null)), "Invalid X-Matrix signature");
        // The decoded form of the target is a different message.
        assertUnauthorized(send("GET", ECHO + "/%40a", null, signed("GET", ECHO + "/@a", null)), "Invalid X-Matrix signature");
        String forged = XMatrix.sign(SigningKey.generate("ed25519:fake"), "GET", target, peer.serverName(), US, null);
        assertUnauthorized(send("GET", target, null, forged), "Invalid X-Matrix signature");
        String notBase64 = signed("GET", target, null).replaceAll("sig=\"[^\"]*\"", "sig=\"!!!\"");
        assertUnauthorized(send("GET", target, null, notBase64), "Invalid X-Matrix signature");
    }

    @Test
    void unknownKeysAndUnreachableOriginsAre401() throws Exception {
        String target = ECHO + "/x";
        String otherKey = XMatrix.sign(SigningKey.generate("ed25519:other"), "GET", target, peer.serverName(), US, null);
        assertUnauthorized(send("GET", target, null, otherKey),
                "Unknown key ed25519:other of " + peer.serverName() + ": " + peer.serverName() + " does not publish a key ed25519:other");
        String nowhere = XMatrix.sign(peer.signingKey(), "GET", target, "localhost:1", US, null);
        assertUnauthorized(send("GET", target, null, nowhere), "Could not get the keys of localhost:1");
    }

    @Test
    void bodiesMustBeJson() throws Exception {
        String target = ECHO + "/x";
        Answer answer = send("PUT", target, "{\"a\":", signed("PUT", target, Map.of()));
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.get("errcode")).isEqualTo("M_NOT_JSON");
        assertThat(EchoTestController.calls).hasValue(0);
    }

    @Test
    void oversizedBodiesAre413() throws Exception {
        String target = ECHO + "/big";
        // A raw request declaring 9 MiB: the answer comes before any of it is sent.
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            String request = "PUT " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (9 * 1024 * 1024) + "\r\nAuthorization: " + signed("PUT", target, Map.of())
                    + "\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).startsWith("HTTP/1.1 413");
            String line;
            StringBuilder rest = new StringBuilder();
            while ((line = in.readLine()) != null && !line.contains("M_TOO_LARGE")) {
                rest.append(line);
            }
            assertThat(line).as(rest.toString()).contains("M_TOO_LARGE");
        }
        assertThat(EchoTestController.calls).hasValue(0);
    }

    @Test
    void versionKeysAndUnknownEndpointsNeedNoSignature() throws Exception {
        assertThat(send("GET", "/_matrix/federation/v1/version", null).status()).isEqualTo(200);
        assertThat(send("GET", "/_matrix/key/v2/server", null).status()).isEqualTo(200);
        Answer unknown = send("GET", "/_matrix/federation/v1/no_such_endpoint", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.get("errcode")).isEqualTo("M_UNRECOGNIZED");
    }

    @Test
    void signingTheCanonicalFormOfAnyBodyWorks() throws Exception {
        String target = ECHO + "/unicode";
        Map<String, Object> content = Map.of("b", "日本 \u2028 😀", "a", List.of(1L, true), "c", Map.of());
        Answer answer = send("POST", target, CanonicalJson.encodeToString(content), signed("POST", target, content));
        assertThat(answer.status()).isEqualTo(200);
    }
}
