package org.vestibule.federation.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vestibule.support.FakeDnsServer;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MutableClock;

/**
 * Every branch of spec §Resolving server names, against a fake DNS server on 127.0.0.1 and a
 * loopback HTTPS server playing the well-known hosts.
 */
class ServerDiscoveryTests {

    private static final String WELL_KNOWN = "/.well-known/matrix/server";
    private static final String[] WELL_KNOWN_HOSTS = {"wk-port.test", "wk-srv.test", "wk-oldsrv.test", "wk-plain.test",
            "wk-ip.test", "wk-ip6.test", "wk-redirect.test", "wk-cache.test", "wk-bad.test", "wk-missing.test",
            "wk-404.test", "wk-badname.test", "wk-down.test"};

    static FakeDnsServer dns;
    static FakeFederationServer wellKnownServer;
    static volatile Reply downReply;
    static volatile boolean slowDown;

    MutableClock clock;
    OutboundFixtures outbound;

    @BeforeAll
    static void startFakes() {
        dns = FakeDnsServer.start();
        wellKnownServer = FakeFederationServer.start(WELL_KNOWN_HOSTS);
        for (String host : WELL_KNOWN_HOSTS) {
            dns.a(host, "127.0.0.1");
        }
        int port = wellKnownServer.port();
        wellKnownServer.on(WELL_KNOWN, r -> switch (r.header("Host").replaceAll(":\\d+$", "")) {
            case "wk-port.test" -> Reply.json(200, Map.of("m.server", "delegated.test:4443"));
            case "wk-srv.test" -> Reply.json(200, Map.of("m.server", "delegated-srv.test"));
            case "wk-oldsrv.test" -> Reply.json(200, Map.of("m.server", "delegated-oldsrv.test"));
            case "wk-plain.test" -> Reply.json(200, Map.of("m.server", "delegated-plain.test"));
            case "wk-ip.test" -> Reply.json(200, Map.of("m.server", "192.0.2.5:1234"));
            case "wk-ip6.test" -> Reply.json(200, Map.of("m.server", "[2001:db8::5]"));
            case "wk-redirect.test" -> new Reply(302, Map.of("Location",
                    "https://wk-port.test:" + port + WELL_KNOWN), new byte[0]);
            case "wk-cache.test" -> Reply.json(200, Map.of("m.server", "cached.test:1"))
                    .withHeader("Cache-Control", "public, max-age=600");
            case "wk-bad.test" -> Reply.raw(200, "application/json", "{\"m.server\": ");
            case "wk-missing.test" -> Reply.json(200, Map.of("server", "x.test"));
            case "wk-badname.test" -> Reply.json(200, Map.of("m.server", "not a name!"));
            case "wk-down.test" -> {
                if (slowDown) {
                    Thread.sleep(1500);
                }
                yield downReply;
            }
            default -> Reply.json(404, Map.of("errcode", "M_NOT_FOUND", "error", "no well-known here"));
        });
        dns.a("delegated.test", "192.0.2.1")
                .srv("_matrix-fed._tcp.delegated-srv.test", 10, 0, 7001, "target.test")
                .a("target.test", "192.0.2.2").a("target.test", "2001:db8::2")
                .srv("_matrix._tcp.delegated-oldsrv.test", 10, 0, 7002, "oldtarget.test")
                .a("oldtarget.test", "192.0.2.3")
                .a("delegated-plain.test", "192.0.2.4")
                .a("cached.test", "192.0.2.6")
                .srv("_matrix-fed._tcp.wk-404.test", 5, 0, 7003, "srvtarget.test")
                .srv("_matrix-fed._tcp.wk-404.test", 20, 0, 7004, "backup.test")
                .a("srvtarget.test", "192.0.2.7").a("backup.test", "192.0.2.8")
                .srv("_matrix._tcp.wk-bad.test", 10, 0, 7005, "legacy.test").a("legacy.test", "192.0.2.9")
                .a("explicit.test", "192.0.2.10")
                .cname("alias.test", "explicit.test")
                .srv("_matrix-fed._tcp.dead.test", 0, 0, 0, ".")
                .a("private.test", "10.1.2.3").a("mixed.test", "10.1.2.3").a("mixed.test", "192.0.2.11")
                .a("loopback.test", "127.0.0.1");
    }

    @AfterAll
    static void stopFakes() {
        wellKnownServer.close();
        dns.close();
    }

    @BeforeEach
    void setUp() {
        clock = MutableClock.now();
        outbound = new OutboundFixtures(dns.address(), true, true, Duration.ofSeconds(5), clock, wellKnownServer.port());
        wellKnownServer.clearRequests();
    }

    @AfterEach
    void tearDown() {
        outbound.close();
    }

    private Destination resolve(String serverName) {
        return outbound.discovery.resolve(serverName);
    }

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void ipLiteralUsesItsPortOr8448AndNoLookups() {
        int before = dns.queries();
        assertThat(resolve("192.0.2.100:8000")).isEqualTo(new Destination("192.0.2.100:8000", "192.0.2.100",
                "192.0.2.100:8000", List.of(at("192.0.2.100", 8000)), "IP literal"));
        Destination v6 = resolve("[2001:db8::1]");
        assertThat(v6.tlsName()).isEqualTo("2001:db8::1");
        assertThat(v6.hostHeader()).isEqualTo("[2001:db8::1]");
        assertThat(v6.addresses()).containsExactly(at("2001:db8::1", 8448));
        assertThat(v6.authority(8448)).isEqualTo("[2001:db8::1]:8448");
        assertThat(dns.queries()).isEqualTo(before);
        assertThat(wellKnownServer.requests()).isEmpty();
    }

    @Test
    void explicitPortResolvesTheHostAndSkipsWellKnown() {
        Destination d = resolve("explicit.test:9000");
        assertThat(d.tlsName()).isEqualTo("explicit.test");
        assertThat(d.hostHeader()).isEqualTo("explicit.test:9000");
        assertThat(d.addresses()).containsExactly(at("192.0.2.10", 9000));
        assertThat(resolve("alias.test:9001").addresses()).containsExactly(at("192.0.2.10", 9001));
        assertThat(wellKnownServer.requests()).isEmpty();
    }

    @Test
    void wellKnownWithPort() {
        Destination d = resolve("wk-port.test");
        assertThat(d.serverName()).isEqualTo("wk-port.test");
        assertThat(d.tlsName()).isEqualTo("delegated.test");
        assertThat(d.hostHeader()).isEqualTo("delegated.test:4443");
        assertThat(d.addresses()).containsExactly(at("192.0.2.1", 4443));
        FakeFederationServer.Recorded request = wellKnownServer.requests().get(0);
        assertThat(request.sni()).isEqualTo("wk-port.test");
        assertThat(request.method()).isEqualTo("GET");
    }

    @Test
    void wellKnownWithoutPortUsesSrvOfTheDelegatedName() {
        Destination d = resolve("wk-srv.test");
        assertThat(d.tlsName()).isEqualTo("delegated-srv.test");
        assertThat(d.hostHeader()).isEqualTo("delegated-srv.test");
        assertThat(d.addresses()).containsExactly(at("192.0.2.2", 7001), at("2001:db8::2", 7001));
        assertThat(dns.questions()).contains("SRV _matrix-fed._tcp.delegated-srv.test");
    }

    @Test
    void wellKnownThenDeprecatedSrv() {
        Destination d = resolve("wk-oldsrv.test");
        assertThat(d.tlsName()).isEqualTo("delegated-oldsrv.test");
        assertThat(d.hostHeader()).isEqualTo("delegated-oldsrv.test");
        assertThat(d.addresses()).containsExactly(at("192.0.2.3", 7002));
    }

    @Test
    void wellKnownWithoutSrvUses8448() {
        Destination d = resolve("wk-plain.test");
        assertThat(d.tlsName()).isEqualTo("delegated-plain.test");
        assertThat(d.hostHeader()).isEqualTo("delegated-plain.test");
        assertThat(d.addresses()).containsExactly(at("192.0.2.4", 8448));
    }

    @Test
    void wellKnownToIpLiterals() {
        Destination d = resolve("wk-ip.test");
        assertThat(d.tlsName()).isEqualTo("192.0.2.5");
        assertThat(d.hostHeader()).isEqualTo("192.0.2.5:1234");
        assertThat(d.addresses()).containsExactly(at("192.0.2.5", 1234));
        Destination v6 = resolve("wk-ip6.test");
        assertThat(v6.tlsName()).isEqualTo("2001:db8::5");
        assertThat(v6.hostHeader()).isEqualTo("[2001:db8::5]");
        assertThat(v6.addresses()).containsExactly(at("2001:db8::5", 8448));
    }

    @Test
    void wellKnownRedirectsAreFollowed() {
        Destination d = resolve("wk-redirect.test");
        assertThat(d.tlsName()).isEqualTo("delegated.test");
        assertThat(d.hostHeader()).isEqualTo("delegated.test:4443");
        assertThat(wellKnownServer.requests()).extracting(FakeFederationServer.Recorded::sni)
                .containsExactly("wk-redirect.test", "wk-port.test");
    }

    @Test
    void noWellKnownMeansSrvOnTheServerNameInPriorityOrder() {
        Destination d = resolve("wk-404.test");
        assertThat(d.tlsName()).isEqualTo("wk-404.test");
        assertThat(d.hostHeader()).isEqualTo("wk-404.test");
        assertThat(d.addresses()).containsExactly(at("192.0.2.7", 7003), at("192.0.2.8", 7004));
    }

    @Test
    void invalidWellKnownFallsBackToDeprecatedSrvThenPort8448() {
        Destination legacy = resolve("wk-bad.test");
        assertThat(legacy.tlsName()).isEqualTo("wk-bad.test");
        assertThat(legacy.addresses()).containsExactly(at("192.0.2.9", 7005));
        assertThat(legacy.via()).contains("no well-known");
        Destination missing = resolve("wk-missing.test");
        assertThat(missing.hostHeader()).isEqualTo("wk-missing.test");
        assertThat(missing.addresses()).containsExactly(at("127.0.0.1", 8448));
        assertThat(resolve("wk-badname.test").addresses()).containsExactly(at("127.0.0.1", 8448));
    }

    @Test
    void wellKnownAnswersAreCachedForTheirMaxAge() {
        assertThat(resolve("wk-cache.test").hostHeader()).isEqualTo("cached.test:1");
        resolve("wk-cache.test");
        clock.advance(Duration.ofMinutes(9));
        resolve("wk-cache.test");
        assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(1);
        clock.advance(Duration.ofMinutes(2));
        resolve("wk-cache.test");
        assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(2);
    }

    @Test
    void invalidAnswersAreCachedWithBackoff() {
        downReply = Reply.json(200, Map.of("m.server", "delegated.test:4443"));
        assertThat(resolve("wk-down.test").tlsName()).isEqualTo("delegated.test");
        clock.advance(Duration.ofHours(25));
        downReply = Reply.json(404, Map.of());
        assertThat(resolve("wk-down.test").tlsName()).isEqualTo("wk-down.test"); // a definite 404 ends the delegation
        assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(2);
        clock.advance(Duration.ofMinutes(4));
        resolve("wk-down.test");
        assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(2); // first failure: cached 5 minutes
        clock.advance(Duration.ofMinutes(2));
        resolve("wk-down.test");
        assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(3);
        clock.advance(Duration.ofMinutes(6));
        resolve("wk-down.test");
        assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(3); // second failure: 10 minutes
        clock.advance(Duration.ofMinutes(5));
        resolve("wk-down.test");
        assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(4);
    }

    @Test
    void aNetworkFailureKeepsTheEarlierDelegation() {
        try (OutboundFixtures quick = new OutboundFixtures(dns.address(), true, true, Duration.ofMillis(700), clock,
                wellKnownServer.port())) {
            downReply = Reply.json(200, Map.of("m.server", "delegated.test:4443"));
            assertThat(quick.discovery.resolve("wk-down.test").tlsName()).isEqualTo("delegated.test");
            clock.advance(Duration.ofHours(25));
            slowDown = true;
            assertThat(quick.discovery.resolve("wk-down.test").tlsName()).isEqualTo("delegated.test");
            assertThat(wellKnownServer.hits(WELL_KNOWN)).isEqualTo(2);
        } finally {
            slowDown = false;
        }
    }

    @Test
    void srvSayingNoServiceIsUnreachable() {
        assertThatThrownBy(() -> resolve("dead.test"))
                .isInstanceOf(FederationUnreachableException.class)
                .hasMessageContaining("not available");
    }

    @Test
    void unknownNamesAreUnreachable() {
        assertThatThrownBy(() -> resolve("nowhere.test:8448"))
                .isInstanceOf(FederationUnreachableException.class)
                .hasMessageContaining("nowhere.test");
        assertThatThrownBy(() -> resolve("not a server name"))
                .isInstanceOf(FederationUnreachableException.class)
                .hasMessageContaining("not a valid server name");
    }

    @Test
    void privateAddressesAreRefusedUnlessAllowed() {
        try (OutboundFixtures strict = new OutboundFixtures(dns.address(), false, true, Duration.ofSeconds(5), clock,
                wellKnownServer.port())) {
            for (String name : List.of("127.0.0.1:8448", "[::1]:8448", "10.0.0.1", "private.test:8448", "loopback.test:8448",
                    "169.254.1.1", "[fd00::1]", "0.0.0.0", "224.0.0.1", "192.168.1.1", "172.16.0.1")) {
                assertThatThrownBy(() -> strict.discovery.resolve(name))
                        .as(name)
                        .isInstanceOf(FederationUnreachableException.class)
                        .hasMessageContaining("allow-private-addresses");
            }
            assertThat(strict.discovery.resolve("mixed.test:8448").addresses()).containsExactly(at("192.0.2.11", 8448));
            // The well-known host itself is on loopback: refused, so discovery goes on without it (and fails).
            assertThatThrownBy(() -> strict.discovery.resolve("wk-port.test"))
                    .isInstanceOf(FederationUnreachableException.class)
                    .hasMessageContaining("allow-private-addresses");
            assertThat(wellKnownServer.requests()).isEmpty();
        }
    }
}
