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

/**
 * The actuator endpoints HELP.md names still answer with the auto-configurations the application
 * leaves out (AspectJ, RestTemplate, Spring Data's web binding and repository timing, the Jackson 2
 * endpoint mapper), and the request meter stays while its in-flight twin is gone.
 */
class ActuatorIntegrationTests {

    static TestHomeservers servers;
    static HttpClient http = HttpClient.newHttpClient();

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

    @Test
    void healthAndInfoAnswerJson() throws Exception {
        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("json"));
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("liveness").contains("readiness");
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        HttpResponse<String> info = get("/actuator/info");
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(info.body()).startsWith("{");
    }

    @Test
    void prometheusHasTheRequestTimerAndOurMetersButNoInFlightOrRepositoryTimers() throws Exception {
        assertThat(get("/_matrix/federation/v1/version").statusCode()).isEqualTo(200);
        // Something that reaches repositories: a failed login looks the user up.
        http.send(HttpRequest.newBuilder(URI.create(servers.get(0).clientBaseUrl() + "/_matrix/client/v3/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"nobody\"},\"password\":\"x\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> metrics = get("/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("http_server_requests_seconds_count{")
                .contains("uri=\"/_matrix/federation/v1/version\"")
                .contains("vestibule_rate_limits_enabled")
                .contains("jvm_memory_used_bytes{")
                .contains("hikaricp_connections")
                .doesNotContain("http_server_requests_active")
                .doesNotContain("spring_data_repository_invocations");
    }
}
