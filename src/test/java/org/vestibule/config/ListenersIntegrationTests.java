package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.web.annotation.ServletEndpointDiscoverer;
import org.springframework.boot.actuate.endpoint.web.annotation.ServletEndpointsSupplier;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.servlet.context.ServletWebServerApplicationContext;
import org.vestibule.support.TestCertificates;
import org.vestibule.support.TestHomeservers;

/**
 * How the listeners answer: JSON answers, errors included, whole with a Content-Length (not
 * chunked); on the federation port, TLS in BoringSSL by default (the suite the peer prefers in TLS
 * 1.3, ours in TLS 1.2: ChaCha20-Poly1305 first) and in the JDK with {@code vestibule.tls.engine=jdk}
 * (ChaCha20-Poly1305 whenever the peer offers it, which C1 runs faster than AES-GCM), AES-GCM for a
 * peer without ChaCha20; and the actuator endpoints HELP.md names, with the
 * auto-configurations the application leaves out (AspectJ, Spring Data's web binding and
 * repository timing, the Jackson 2 endpoint mapper, Tomcat's session meters) and the request meter's
 * in-flight twin gone.
 */
class ListenersIntegrationTests {

    static final TestHomeservers servers = TestHomeservers.start(1, "--server.tomcat.max-connections=400");
    static final TestHomeservers jdkTls = TestHomeservers.start(1, "--vestibule.tls.engine=jdk",
            "--vestibule.tls.max-connections=300");
    static final HttpClient http = HttpClient.newHttpClient();

    @AfterAll
    static void stop() {
        servers.close();
        jdkTls.close();
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

    @Test
    @SuppressWarnings("removal")
    void noBeanIsSearchedForServletEndpoints() {
        // NoServletEndpoints: the actuator's endpoints here are web endpoints, and looking for the
        // deprecated servlet kind read every bean's annotations at each start.
        assertThat(servers.get(0).context().getBeanNamesForType(ServletEndpointDiscoverer.class)).isEmpty();
        assertThat(servers.get(0).bean(ServletEndpointsSupplier.class).getEndpoints()).isEmpty();
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
        // A call that reaches repositories: a failed login looks the user up.
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(servers.get(0).clientBaseUrl()
                        + "/_matrix/client/v3/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"nobody\"},\"password\":\"x\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(403);
        assertThat(login.body()).contains("M_FORBIDDEN");
        HttpResponse<String> metrics = get("/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("http_server_requests_seconds_count{")
                .contains("uri=\"/_matrix/federation/v1/version\"")
                .contains("vestibule_rate_limits_enabled")
                .contains("jvm_memory_used_bytes{")
                .contains("hikaricp_connections")
                .doesNotContain("http_server_requests_active")
                .doesNotContain("spring_data_repository_invocations")
                .doesNotContain("tomcat_sessions");
    }

    static String negotiated(TestHomeservers server, String protocol, String... offered) throws IOException {
        try (SSLSocket socket = (SSLSocket) TestCertificates.clientContext().getSocketFactory()
                .createSocket("localhost", server.get(0).tlsPort())) {
            socket.setEnabledProtocols(new String[] {protocol});
            socket.setEnabledCipherSuites(offered);
            socket.startHandshake();
            return socket.getSession().getCipherSuite();
        }
    }

    /** A client of the federation port that trusts the test CA and speaks only {@code protocol}. */
    static HttpClient tlsClient(String protocol) throws Exception {
        SSLParameters parameters = TestCertificates.clientContext().getDefaultSSLParameters();
        parameters.setProtocols(new String[] {protocol});
        return HttpClient.newBuilder().sslContext(TestCertificates.clientContext()).sslParameters(parameters).build();
    }

    static AbstractHttp11Protocol<?> listener(TestHomeservers server, int port) {
        TomcatWebServer web = (TomcatWebServer) ((ServletWebServerApplicationContext) server.get(0).context()).getWebServer();
        Connector connector = Arrays.stream(web.getTomcat().getService().findConnectors())
                .filter(c -> c.getLocalPort() == port)
                .findFirst().orElseThrow();
        return (AbstractHttp11Protocol<?>) connector.getProtocolHandler();
    }

    static String sslImplementation(TestHomeservers server) {
        return listener(server, server.get(0).tlsPort()).getSslImplementationName();
    }

    @Test
    void theFederationListenerAnswersBesideMoreHalfSentBodiesThanItKeepsThreads() throws Exception {
        // Each sends a signed-looking request's headers and its body's first bytes and no more, so it holds a
        // thread while it reads (the signature is checked once the body is in); Tomcat would wait 20 s for the
        // rest. With only the threads it keeps, the listener answered nobody meanwhile.
        int held = Math.max(8, 4 * Runtime.getRuntime().availableProcessors()) + 4;
        List<SSLSocket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < held; i++) {
                SSLSocket socket = (SSLSocket) TestCertificates.clientContext().getSocketFactory()
                        .createSocket("localhost", servers.get(0).tlsPort());
                slow.add(socket);
                socket.getOutputStream().write(("PUT /_matrix/federation/v1/send/slow" + i + " HTTP/1.1\r\n"
                        + "Host: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
                        + "Authorization: X-Matrix origin=\"peer.example\",key=\"ed25519:a\",sig=\"AAAA\"\r\n\r\n"
                        + "{\"pdus\":[").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (readingBodies() < held && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(readingBodies()).as("every half-sent body has a thread reading it").isGreaterThanOrEqualTo(held);
            HttpResponse<String> version = tlsClient("TLSv1.3").send(HttpRequest.newBuilder(URI.create(
                            servers.get(0).federationBaseUrl() + "/_matrix/federation/v1/version"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(version.statusCode()).isEqualTo(200);
        } finally {
            for (SSLSocket socket : slow) {
                socket.close();
            }
        }
    }

    /** Threads of this JVM inside a federation request's body read. */
    private static long readingBodies() {
        return Thread.getAllStackTraces().values().stream()
                .filter(stack -> Arrays.stream(stack).anyMatch(frame -> frame.getClassName().endsWith(".CachedBodyRequest")))
                .count();
    }

    @Test
    void eachListenerKeepsOnlyTheConnectionsItsShareOfTheHeapHoldsOrAsSet() {
        ConnectionLimits limits = ConnectionLimits.forThisHeap();
        // Either listener's setting, or its default from the heap, leaves the other listener's alone.
        assertThat(listener(servers, servers.get(0).tlsPort()).getMaxConnections()).isEqualTo(limits.https());
        assertThat(listener(servers, servers.get(0).httpPort()).getMaxConnections()).isEqualTo(400);
        assertThat(listener(jdkTls, jdkTls.get(0).tlsPort()).getMaxConnections()).isEqualTo(300);
        assertThat(listener(jdkTls, jdkTls.get(0).httpPort()).getMaxConnections()).isEqualTo(limits.plain());
    }

    @Test
    void federationTlsIsBoringSslByDefaultAndTheJdksWhenAsked() {
        assertThat(sslImplementation(servers)).isEqualTo(NativeTls.class.getName());
        assertThat(sslImplementation(jdkTls)).isNull();
    }

    @Test
    void federationRequestsOverEitherEngine() throws Exception {
        for (TestHomeservers server : List.of(servers, jdkTls)) {
            HttpResponse<String> version = tlsClient("TLSv1.3")
                    .send(HttpRequest.newBuilder(URI.create(server.get(0).federationBaseUrl()
                            + "/_matrix/federation/v1/version")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(version.statusCode()).isEqualTo(200);
            assertThat(version.body()).contains("Vestibule");
        }
    }

    @Test
    void aBodyOfSeveralRecordsArrivesWholeOverEitherEngine() throws Exception {
        // 40 KB is two full TLS records and part of a third: BoringSSL once needed more room per record than Tomcat gave.
        String login = "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"nobody\"},"
                + "\"password\":\"x\",\"padding\":\"" + "p".repeat(40_000) + "\"}";
        for (TestHomeservers server : List.of(servers, jdkTls)) {
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                HttpResponse<String> refused = tlsClient(protocol)
                        .send(HttpRequest.newBuilder(URI.create(server.get(0).federationBaseUrl() + "/_matrix/client/v3/login"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(login)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as(protocol).isEqualTo(403);
                assertThat(refused.body()).as(protocol).contains("\"errcode\":\"M_FORBIDDEN\"");
            }
        }
    }

    @Test
    void tls13InBoringSslTakesThePeersPreference() throws IOException {
        assertThat(negotiated(servers, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"))
                .isEqualTo("TLS_AES_256_GCM_SHA384");
        assertThat(negotiated(servers, "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"))
                .isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
    }

    @Test
    void tls13InTheJdkPrefersChaCha() throws IOException {
        assertThat(negotiated(jdkTls, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"))
                .isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
        assertThat(negotiated(jdkTls, "TLSv1.3", "TLS_AES_256_GCM_SHA384")).isEqualTo("TLS_AES_256_GCM_SHA384");
    }

    @Test
    void tls12PrefersChaChaInEitherEngine() throws IOException {
        for (TestHomeservers server : List.of(servers, jdkTls)) {
            assertThat(negotiated(server, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")).isEqualTo("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
            assertThat(negotiated(server, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))
                    .isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        }
    }

    @Test
    void everySuiteWeNameIsOneTheJdkHasAndOurClientOffersChaChaFirst() throws Exception {
        // An unknown name would make the listener or every outbound connection fail to start.
        assertThat(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites())
                .contains(TlsCipherSuites.preferred());
        assertThat(TlsCipherSuites.preferred()).startsWith("TLS_CHACHA20_POLY1305_SHA256");
        assertThat(TlsCipherSuites.tls12()).first().asString().contains("CHACHA20");
    }
}
