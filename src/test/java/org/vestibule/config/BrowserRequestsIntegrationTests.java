package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestCertificates;
import org.vestibule.support.TestHomeservers;

/**
 * Requests as a web client in a browser makes them: a CORS preflight before each call that is not
 * simple, an {@code Origin} on every call, and the browser's own {@code Accept} headers. Every
 * answer carries the CORS headers of the spec (client-server API, "Web Browser Clients") and is JSON.
 */
class BrowserRequestsIntegrationTests {

    static final String ORIGIN = "https://app.element.example";
    /** What a browser sends when a page navigates to a URL. */
    static final String BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    static TestHomeservers servers;
    static MatrixClient client;
    static HttpClient http;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(1);
        client = new MatrixClient(servers.get(0).clientBaseUrl());
        http = HttpClient.newBuilder().sslContext(TestCertificates.clientContext()).build();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static HttpResponse<String> send(String method, String url, Map<String, String> headers) throws IOException,
            InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static void assertCors(HttpResponse<?> response) {
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).as(response.uri().toString())
                .contains("*");
        assertThat(response.headers().firstValue("Access-Control-Allow-Methods"))
                .contains("GET, HEAD, POST, PUT, DELETE, OPTIONS");
        assertThat(response.headers().firstValue("Access-Control-Allow-Headers"))
                .contains("X-Requested-With, Content-Type, Authorization");
    }

    /** The answer's status and CORS headers checked; its JSON body. */
    static Map<String, Object> corsAnswer(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.uri().toString()).isEqualTo(status);
        assertCors(response);
        return json(response);
    }

    static Map<String, Object> json(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("Content-Type")).as(response.uri().toString()).get().asString()
                .startsWith("application/json");
        return StrictJsonParser.parseObject(response.body().getBytes(StandardCharsets.UTF_8), StrictJsonParser.Limits.RESPONSE);
    }

    @Test
    void aPreflightIsAnsweredWithoutAuthenticationOrTheEndpointsLogic() throws Exception {
        Map<String, String> preflight = Map.of("Origin", ORIGIN, "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "authorization, content-type");
        String base = servers.get(0).clientBaseUrl();
        // whoami needs a token, createRoom a body and a token, the federation path an X-Matrix signature:
        // a preflight has none of them and gets 200 all the same, with nothing done.
        for (String path : new String[] {"/_matrix/client/v3/account/whoami", "/_matrix/client/v3/createRoom",
                "/_matrix/client/v3/login", "/.well-known/matrix/client", "/_matrix/client/v1/media/config",
                "/_matrix/federation/v1/make_join/!room:example.org/@u:example.org", "/no/such/path"}) {
            assertThat(corsAnswer(send("OPTIONS", base + path, preflight), 200)).as(path).isEmpty();
        }
        assertThat(corsAnswer(send("OPTIONS", servers.get(0).federationBaseUrl() + "/_matrix/federation/v1/version",
                preflight), 200)).isEmpty();
    }

    @Test
    void answersAndErrorsCarryTheCorsHeaders() throws Exception {
        String base = servers.get(0).clientBaseUrl();
        Map<String, String> origin = Map.of("Origin", ORIGIN);

        assertThat(corsAnswer(send("GET", base + "/_matrix/client/versions", origin), 200)).containsKey("versions");

        // The errors a web client must be able to read to tell its user what went wrong.
        assertThat(corsAnswer(send("GET", base + "/_matrix/client/v3/account/whoami", origin), 401))
                .containsEntry("errcode", "M_MISSING_TOKEN");
        assertThat(corsAnswer(send("GET", base + "/_matrix/client/v3/no-such-endpoint", origin), 404))
                .containsEntry("errcode", "M_UNRECOGNIZED");
        assertThat(corsAnswer(send("DELETE", base + "/_matrix/client/versions", origin), 405))
                .containsEntry("errcode", "M_UNRECOGNIZED");

        assertThat(corsAnswer(send("GET", servers.get(0).federationBaseUrl() + "/_matrix/federation/v1/version",
                origin), 200)).containsKey("server");
    }

    @Test
    void anyAcceptHeaderGetsJson() throws Exception {
        String base = servers.get(0).clientBaseUrl();
        // A browser's Accept, one that names only another type, and one that does not parse: Spring
        // answered these with an empty 406 and an empty 500.
        for (String accept : new String[] {BROWSER_ACCEPT, "text/html", "image/png", ";;;/", "text/html;q=x"}) {
            HttpResponse<String> versions = send("GET", base + "/_matrix/client/versions", Map.of("Accept", accept));
            assertThat(versions.statusCode()).as(accept).isEqualTo(200);
            assertThat(json(versions)).as(accept).containsKey("versions");

            HttpResponse<String> error = send("GET", base + "/_matrix/client/v3/account/whoami", Map.of("Accept", accept));
            assertThat(error.statusCode()).as(accept).isEqualTo(401);
            assertThat(json(error)).as(accept).containsEntry("errcode", "M_MISSING_TOKEN");
        }
    }

    @Test
    void aDownloadKeepsItsOwnTypeWhateverTheAccept() throws Exception {
        User alice = client.register(unique("browser"));
        String mxc = client.upload(alice, "plain words".getBytes(StandardCharsets.UTF_8), "text/plain", "words.txt");
        HttpResponse<String> download = send("GET", servers.get(0).clientBaseUrl() + "/_matrix/client/v1/media/download/"
                + mxc.substring("mxc://".length()), Map.of("Authorization", "Bearer " + alice.accessToken(),
                "Accept", BROWSER_ACCEPT, "Origin", ORIGIN));
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
        assertThat(download.body()).isEqualTo("plain words");
        assertCors(download);
    }

    @Test
    void theActuatorStillNegotiatesAndRefusesInJson() throws Exception {
        String base = servers.get(0).clientBaseUrl();
        HttpResponse<String> openMetrics = send("GET", base + "/actuator/prometheus",
                Map.of("Accept", "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5"));
        assertThat(openMetrics.statusCode()).isEqualTo(200);
        assertThat(openMetrics.headers().firstValue("Content-Type")).get().asString()
                .startsWith("application/openmetrics-text");

        HttpResponse<String> html = send("GET", base + "/actuator/health", Map.of("Accept", "text/html"));
        assertThat(html.statusCode()).isEqualTo(406);
        assertThat(json(html)).containsEntry("errcode", "M_UNKNOWN");
    }
}
