package org.vestibule.federation.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.vestibule.support.VestibuleIntegrationTest;

@VestibuleIntegrationTest
class VersionIntegrationTests {

    @LocalServerPort
    int port;

    private HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void namesTheServerAndItsVersion() throws Exception {
        HttpResponse<String> response = get("/_matrix/federation/v1/version");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"name\":\"Vestibule\"").contains("\"version\":");
    }

    @Test
    void unknownEndpointsAnswerUnrecognized() throws Exception {
        HttpResponse<String> response = get("/_matrix/federation/v1/no_such_thing");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("\"errcode\":\"M_UNRECOGNIZED\"");
    }

    @Test
    void wrongMethodAnswers405Unrecognized() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/_matrix/federation/v1/version"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.body()).contains("\"errcode\":\"M_UNRECOGNIZED\"");
    }

    @Test
    void healthIsUp() throws Exception {
        HttpResponse<String> response = get("/actuator/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"status\":\"UP\"");
    }
}
