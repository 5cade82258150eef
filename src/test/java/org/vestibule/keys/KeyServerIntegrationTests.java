package org.vestibule.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.event.Json;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.event.UnpaddedBase64;
import org.vestibule.event.VerifyKey;
import org.vestibule.support.VestibuleIntegrationTest;

@VestibuleIntegrationTest
class KeyServerIntegrationTests {

    @LocalServerPort
    int port;

    @Autowired
    ServerKeyring keyring;

    @Test
    void servesASelfSignedKeyDocument() throws Exception {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_matrix/key/v2/server")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        Map<String, Object> doc = StrictJsonParser.parseObject(response.body(), StrictJsonParser.Limits.PDU);
        assertThat(doc).containsEntry("server_name", "test.vestibule.invalid");
        assertThat((Long) doc.get("valid_until_ts")).isGreaterThan(System.currentTimeMillis() + 3_600_000L);
        assertThat(Json.object(doc, "old_verify_keys")).isEmpty();
        Map<String, Object> verifyKeys = Json.object(doc, "verify_keys");
        assertThat(verifyKeys).containsOnlyKeys(keyring.signingKey().keyId());
        String keyId = verifyKeys.keySet().iterator().next();
        VerifyKey key = VerifyKey.fromBase64(keyId, (String) Json.object(verifyKeys, keyId).get("key"));
        assertThat(JsonSigning.verify(doc, "test.vestibule.invalid", key)).isTrue();
        assertThat(new String(response.body())).doesNotContain(
                UnpaddedBase64.encode(keyring.signingKey().seed()));
    }
}
