package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.support.TestHomeservers;

/** JSON answers, errors included, carry a Content-Length and are not chunked. */
class WholeResponsesIntegrationTests {

    static TestHomeservers servers;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(1);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(servers.get(0).clientBaseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void assertWhole(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("transfer-encoding")).isEmpty();
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(response.body().getBytes().length);
    }

    @Test
    void anAnswer() throws Exception {
        HttpResponse<String> versions = get("/_matrix/client/versions");
        assertThat(versions.statusCode()).isEqualTo(200);
        assertThat(versions.body()).contains("\"versions\"");
        assertWhole(versions);
    }

    @Test
    void anError() throws Exception {
        HttpResponse<String> refused = get("/_matrix/client/v3/account/whoami");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("M_MISSING_TOKEN");
        assertWhole(refused);
    }
}
