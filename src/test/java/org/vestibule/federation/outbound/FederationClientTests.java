package org.vestibule.federation.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Json;
import org.vestibule.event.SigningKey;
import org.vestibule.federation.XMatrix;
import org.vestibule.support.FakeDnsServer;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Recorded;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MutableClock;

/** The signed HTTPS client against a loopback HTTPS peer, real TLS and a fake DNS server. */
class FederationClientTests {

    private static final SigningKey KEY = SigningKey.generate("ed25519:ours");
    private static final String ORIGIN = "origin.test";

    static FakeDnsServer dns;
    static FakeFederationServer peer;
    static int port;
    static int closedPort;

    OutboundFixtures outbound;
    FederationClient client;

    @BeforeAll
    static void startFakes() throws IOException {
        dns = FakeDnsServer.start();
        peer = FakeFederationServer.start("fed.test", "deleg.test", "srv.test", "127.0.0.1");
        port = peer.port();
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        dns.a("fed.test", "127.0.0.1").a("deleg.test", "127.0.0.1").a("wrong.test", "127.0.0.1")
                .a("srv.test", "127.0.0.1").a("closed.test", "127.0.0.1")
                .srv("_matrix-fed._tcp.srv.test", 10, 0, closedPort, "closed.test")
                .srv("_matrix-fed._tcp.srv.test", 20, 0, port, "fed.test");
        peer.on("/.well-known/matrix/server", r -> r.header("Host").startsWith("deleg.test")
                ? Reply.json(200, Map.of("m.server", "fed.test:" + port))
                : Reply.json(404, Map.of()));
        peer.on("/_matrix/federation/v1/ok", r -> Reply.json(200, Map.of("ok", true)));
        peer.on("/_matrix/federation/v1/make_join/%21r%3Aremote/%40a%3Adomain", r -> Reply.json(200, Map.of("ok", true)));
        peer.on("/_matrix/federation/v1/send/txn1", r -> Reply.json(200, Map.of("pdus", Map.of())));
        peer.on("/_matrix/federation/v1/missing", r -> Reply.json(404, Map.of("errcode", "M_NOT_FOUND", "error", "no such room")));
        peer.on("/_matrix/federation/v1/proxy", r -> Reply.raw(502, "text/html", "<html>Bad gateway</html>"));
        peer.on("/_matrix/federation/v1/html", r -> Reply.raw(200, "text/html", "<html>hello</html>"));
        peer.on("/_matrix/federation/v1/array", r -> Reply.json(200, List.of(200, Map.of())));
        peer.on("/_matrix/federation/v1/huge", r -> Reply.json(200, Map.of("x", "y".repeat(70_000))));
        peer.on("/_matrix/federation/v1/strings", r -> Reply.json(200, Map.of("ids", Collections.nCopies(10_000,
                "$" + "e".repeat(20)))));
        peer.on("/_matrix/federation/v1/big_error", r -> Reply.raw(502, "text/html", "<html>" + "x".repeat(500_000)));
        peer.on("/_matrix/federation/v1/slow", r -> {
            Thread.sleep(2_000);
            return Reply.json(200, Map.of());
        });
        peer.servingKeys();
    }

    @AfterAll
    static void stopFakes() {
        peer.close();
        dns.close();
    }

    @BeforeEach
    void setUp() {
        outbound = new OutboundFixtures(dns.address(), true, true, Duration.ofSeconds(5), MutableClock.now(), port);
        client = outbound.client(ORIGIN, KEY);
        peer.clearRequests();
    }

    @AfterEach
    void tearDown() {
        outbound.close();
    }

    private static Recorded last() {
        List<Recorded> requests = peer.requests();
        return requests.get(requests.size() - 1);
    }

    @Test
    void anAnswerWhoseValuesWouldTakeMoreThanTheResponseMemoryIsTooLargeAndGivesItBack() {
        // 240 KB of IDs, ~3 times that once parsed.
        ResponseMemory small = new ResponseMemory(512 * 1024);
        FederationClient bounded = outbound.client(ORIGIN, KEY, 1 << 20, small);
        assertThatThrownBy(() -> bounded.get("fed.test:" + port, "/_matrix/federation/v1/strings"))
                .isInstanceOf(FederationResponseTooLargeException.class)
                .hasMessageContaining("more than is free for it now")
                .hasMessageContaining("vestibule.federation.response-memory");
        assertThat(small.used()).isZero();

        ResponseMemory enough = new ResponseMemory(2 << 20);
        assertThat(Json.list(outbound.client(ORIGIN, KEY, 1 << 20, enough)
                .get("fed.test:" + port, "/_matrix/federation/v1/strings").object(), "ids")).hasSize(10_000);
        assertThat(enough.used()).isZero();
    }

    @Test
    void heldAnswersStayCountedUntilTheOutermostHoldIsClosed() {
        ResponseMemory memory = new ResponseMemory(2 << 20);
        FederationClient bounded = outbound.client(ORIGIN, KEY, 1 << 20, memory);
        try (FederationClient.HeldAnswers outer = bounded.holdAnswers()) {
            bounded.get("fed.test:" + port, "/_matrix/federation/v1/strings");
            long one = memory.used();
            assertThat(one).isPositive(); // the values, not the bytes: they went with the call
            try (FederationClient.HeldAnswers inner = bounded.holdAnswers()) {
                bounded.get("fed.test:" + port, "/_matrix/federation/v1/strings");
            }
            assertThat(memory.used()).isEqualTo(2 * one);
            // A third would not fit beside them.
            assertThatThrownBy(() -> bounded.get("fed.test:" + port, "/_matrix/federation/v1/strings"))
                    .isInstanceOf(FederationResponseTooLargeException.class);
            assertThat(memory.used()).isEqualTo(2 * one);
        }
        assertThat(memory.used()).isZero();
        bounded.get("fed.test:" + port, "/_matrix/federation/v1/strings");
        assertThat(memory.used()).isZero();
    }

    @Test
    void anErrorAnswerIsReadOnlyAsFarAsItsMessageCouldGo() {
        FederationClient bounded = outbound.client(ORIGIN, KEY, 1 << 20, new ResponseMemory(1 << 20));
        assertThatThrownBy(() -> bounded.get("fed.test:" + port, "/_matrix/federation/v1/big_error"))
                .isInstanceOfSatisfying(FederationErrorResponseException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.body()).hasSize(FederationClient.MAX_ERROR_BODY);
                });
    }

    @Test
    void signsTheRawTargetForTheServerName() {
        String target = "/_matrix/federation/v1/make_join/" + FederationClient.pathSegment("!r:remote") + "/"
                + FederationClient.pathSegment("@a:domain") + "?ver=9&ver=10";
        FederationResponse response = client.get("fed.test:" + port, target);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.object()).containsEntry("ok", true);
        Recorded request = last();
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.uri()).isEqualTo("/_matrix/federation/v1/make_join/%21r%3Aremote/%40a%3Adomain?ver=9&ver=10");
        assertThat(request.header("Host")).isEqualTo("fed.test:" + port);
        assertThat(request.sni()).isEqualTo("fed.test");
        assertThat(request.header("Authorization"))
                .isEqualTo(XMatrix.sign(KEY, "GET", request.uri(), ORIGIN, "fed.test:" + port, null));
        assertThat(request.header("User-Agent")).startsWith("Vestibule/");
    }

    @Test
    void sendsCanonicalJsonAndSignsIt() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("pdus", List.of());
        body.put("origin_server_ts", 1000000L);
        body.put("origin", ORIGIN);
        client.put("fed.test:" + port, "/_matrix/federation/v1/send/txn1", body);
        Recorded request = last();
        assertThat(request.method()).isEqualTo("PUT");
        assertThat(request.body()).isEqualTo(CanonicalJson.encode(body));
        assertThat(new String(request.body())).isEqualTo("{\"origin\":\"origin.test\",\"origin_server_ts\":1000000,\"pdus\":[]}");
        assertThat(request.header("Content-Type")).startsWith("application/json");
        assertThat(request.header("Authorization"))
                .isEqualTo(XMatrix.sign(KEY, "PUT", "/_matrix/federation/v1/send/txn1", ORIGIN, "fed.test:" + port, body));
    }

    @Test
    void delegationChangesWhereWeConnectButNotTheSignedDestination() {
        client.get("deleg.test", "/_matrix/federation/v1/ok");
        Recorded request = last();
        assertThat(request.header("Host")).isEqualTo("fed.test:" + port);
        assertThat(request.sni()).isEqualTo("fed.test");
        assertThat(request.header("Authorization")).contains("destination=\"deleg.test\"")
                .isEqualTo(XMatrix.sign(KEY, "GET", "/_matrix/federation/v1/ok", ORIGIN, "deleg.test", null));
    }

    @Test
    void srvTargetsAreTriedInOrderAndTlsFollowsTheServerName() {
        client.get("srv.test", "/_matrix/federation/v1/ok");
        Recorded request = last();
        assertThat(request.header("Host")).isEqualTo("srv.test");
        assertThat(request.sni()).isEqualTo("srv.test");
    }

    @Test
    void ipLiteralsSendNoSni() {
        client.get("127.0.0.1:" + port, "/_matrix/federation/v1/ok");
        assertThat(last().sni()).isNull();
        assertThat(last().header("Host")).isEqualTo("127.0.0.1:" + port);
    }

    @Test
    void errorAnswersCarryStatusErrcodeAndBody() {
        assertThatThrownBy(() -> client.get("fed.test:" + port, "/_matrix/federation/v1/missing"))
                .isInstanceOfSatisfying(FederationErrorResponseException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.errcode()).isEqualTo("M_NOT_FOUND");
                    assertThat(e.error()).isEqualTo("no such room");
                    assertThat(e.json()).containsEntry("errcode", "M_NOT_FOUND");
                    assertThat(e.destination()).isEqualTo("fed.test:" + port);
                });
        assertThatThrownBy(() -> client.get("fed.test:" + port, "/_matrix/federation/v1/proxy"))
                .isInstanceOfSatisfying(FederationErrorResponseException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.errcode()).isNull();
                    assertThat(new String(e.body())).contains("Bad gateway");
                });
        assertThatThrownBy(() -> client.get("fed.test:" + port, "/_matrix/federation/v1/unknown"))
                .isInstanceOfSatisfying(FederationErrorResponseException.class,
                        e -> assertThat(e.errcode()).isEqualTo("M_UNRECOGNIZED"));
    }

    @Test
    void unusableAnswersAreUnreachable() {
        assertThatThrownBy(() -> client.get("fed.test:" + port, "/_matrix/federation/v1/html"))
                .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("not acceptable JSON");
        assertThatThrownBy(() -> client.get("fed.test:" + port, "/_matrix/federation/v1/huge"))
                .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("limit");
        FederationResponse array = client.get("fed.test:" + port, "/_matrix/federation/v1/array");
        assertThat(array.json()).isEqualTo(List.of(200L, Map.of()));
        assertThatThrownBy(array::object).isInstanceOf(FederationUnreachableException.class);
    }

    @Test
    void slowPeersTimeOut() {
        try (OutboundFixtures quick = new OutboundFixtures(dns.address(), true, true, Duration.ofMillis(500),
                MutableClock.now(), port)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> quick.client(ORIGIN, KEY).get("fed.test:" + port, "/_matrix/federation/v1/slow"))
                    .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("timed out");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1_800));
        }
    }

    @Test
    void refusedConnectionsAreUnreachable() {
        assertThatThrownBy(() -> client.get("fed.test:" + closedPort, "/_matrix/federation/v1/ok"))
                .isInstanceOf(FederationUnreachableException.class)
                .hasMessageContaining("fed.test:" + closedPort)
                .hasMessageContaining("explicit port");
    }

    @Test
    void certificatesMustMatchTheTlsName() {
        assertThatThrownBy(() -> client.get("wrong.test:" + port, "/_matrix/federation/v1/ok"))
                .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("TLS failed: No subject alternative DNS name matching wrong.test found");
        assertThat(peer.requests()).isEmpty();
        try (OutboundFixtures lax = new OutboundFixtures(dns.address(), true, false, Duration.ofSeconds(5),
                MutableClock.now(), port)) {
            assertThat(lax.client(ORIGIN, KEY).get("wrong.test:" + port, "/_matrix/federation/v1/ok").status())
                    .isEqualTo(200);
        }
    }

    @Test
    void certificatesMustComeFromATrustedCa() {
        try (OutboundFixtures jdkOnly = new OutboundFixtures(dns.address(), true, true, null, Duration.ofSeconds(5),
                MutableClock.now(), port)) {
            assertThatThrownBy(() -> jdkOnly.client(ORIGIN, KEY).get("fed.test:" + port, "/_matrix/federation/v1/ok"))
                    .isInstanceOf(FederationUnreachableException.class)
                    .hasMessageContaining("TLS failed: its certificate is not from a CA we trust")
                    .hasMessageContaining("vestibule.federation.tls.trusted-ca")
                    .hasMessageNotContaining("sun.security");
        }
    }

    @Test
    void privateAddressesAreRefusedBeforeConnecting() {
        try (OutboundFixtures strict = new OutboundFixtures(dns.address(), false, true, Duration.ofSeconds(5),
                MutableClock.now(), port)) {
            FederationClient strictClient = strict.client(ORIGIN, KEY);
            for (String name : List.of("127.0.0.1:" + port, "fed.test:" + port, "localhost:" + port)) {
                assertThatThrownBy(() -> strictClient.get(name, "/_matrix/federation/v1/ok"))
                        .isInstanceOf(FederationUnreachableException.class)
                        .hasMessageContaining("allow-private-addresses");
            }
        }
        assertThat(peer.requests()).isEmpty();
    }

    @Test
    void serverKeysAreFetchedUnsigned() {
        peer.serverName("fed.test:" + port);
        Map<String, Object> keys = client.serverKeys("fed.test:" + port);
        assertThat(keys).containsEntry("server_name", "fed.test:" + port);
        assertThat(last().path()).isEqualTo("/_matrix/key/v2/server");
        assertThat(last().header("Authorization")).isNull();
    }

    @Test
    void pathSegmentsArePercentEncoded() {
        assertThat(FederationClient.pathSegment("!r:remote")).isEqualTo("%21r%3Aremote");
        assertThat(FederationClient.pathSegment("@a:domain")).isEqualTo("%40a%3Adomain");
        assertThat(FederationClient.pathSegment("$abc/def+g=")).isEqualTo("%24abc%2Fdef%2Bg%3D");
        assertThat(FederationClient.pathSegment("é ~x_y.z-")).isEqualTo("%C3%A9%20~x_y.z-");
    }
}
