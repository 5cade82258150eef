package org.vestibule.federation.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vestibule.event.SigningKey;
import org.vestibule.federation.XMatrix;
import org.vestibule.support.FakeDnsServer;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Recorded;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MutableClock;

/** Media downloads through the signed client: multipart answers, Location redirects, limits, failures. */
class FederationMediaDownloadTests {

    private static final SigningKey KEY = SigningKey.generate("ed25519:ours");
    private static final String ORIGIN = "origin.test";

    static FakeDnsServer dns;
    static FakeFederationServer peer;
    static String server;
    static byte[] media = new byte[100_000];

    OutboundFixtures outbound;
    FederationClient client;

    /** What a receiver got. */
    record Got(String contentType, String disposition, byte[] bytes) {}

    static Got receive(FederationClient.MediaPart part) throws IOException {
        return new Got(part.contentType(), part.contentDisposition(), part.bytes().readAllBytes());
    }

    static byte[] multipart(String boundary, String mediaHeaders, byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("\r\n--" + boundary + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--" + boundary + "\r\n"
                + mediaHeaders + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(bytes);
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static Reply multipartReply(String mediaHeaders, byte[] bytes) {
        return new Reply(200, Map.of("Content-Type", "multipart/mixed; boundary=6b1d2a"), multipart("6b1d2a",
                mediaHeaders, bytes));
    }

    @BeforeAll
    static void startFakes() {
        new Random(3).nextBytes(media);
        dns = FakeDnsServer.start();
        peer = FakeFederationServer.start("fed.test", "cdn.test");
        dns.a("fed.test", "127.0.0.1").a("cdn.test", "127.0.0.1");
        server = "fed.test:" + peer.port();
        String cdn = "https://cdn.test:" + peer.port();
        peer.on("/_matrix/federation/v1/media/download/inline", r -> multipartReply(
                "Content-Type: image/png\r\nContent-Disposition: inline; filename=\"a b.png\"\r\n", media));
        peer.on("/_matrix/federation/v1/media/download/located", r -> multipartReply(
                "Location: " + cdn + "/cdn/first\r\n", new byte[0]));
        peer.on("/cdn/first", r -> new Reply(302, Map.of("Location", "/cdn/second"), new byte[0]));
        peer.on("/cdn/second", r -> new Reply(200, Map.of("Content-Type", "text/plain",
                "Content-Disposition", "attachment; filename=cdn.txt"), "from the CDN".getBytes()));
        peer.on("/_matrix/federation/v1/media/download/plainhttp", r -> multipartReply(
                "Location: http://cdn.test:" + peer.port() + "/cdn/second\r\n", new byte[0]));
        peer.on("/_matrix/federation/v1/media/download/json", r -> Reply.json(200, Map.of()));
        peer.on("/_matrix/federation/v1/media/download/missing", r -> Reply.json(404,
                Map.of("errcode", "M_NOT_FOUND", "error", "Not found")));
        peer.on("/_matrix/federation/v1/media/download/truncated", r -> new Reply(200,
                Map.of("Content-Type", "multipart/mixed; boundary=b"), ("--b\r\nContent-Type: application/json\r\n\r\n{}"
                + "\r\n--b\r\nContent-Type: image/png\r\n\r\nhalf of a file").getBytes()));
        peer.on("/_matrix/federation/v1/media/download/nojson", r -> new Reply(200,
                Map.of("Content-Type", "multipart/mixed; boundary=b"), ("--b\r\nContent-Type: image/png\r\n\r\nxx"
                + "\r\n--b--").getBytes()));
        peer.on("/_matrix/media/v3/download/legacy", r -> new Reply(200, Map.of("Content-Type", "image/gif"), media));
        peer.on("/_matrix/media/v3/download/moved", r -> new Reply(307, Map.of("Location", cdn + "/cdn/second"),
                new byte[0]));
    }

    @AfterAll
    static void stopFakes() {
        peer.close();
        dns.close();
    }

    @BeforeEach
    void setUp() {
        outbound = new OutboundFixtures(dns.address(), true, true, Duration.ofSeconds(5), MutableClock.now(), peer.port());
        client = outbound.client(ORIGIN, KEY);
        peer.clearRequests();
    }

    @AfterEach
    void tearDown() {
        outbound.close();
    }

    @Test
    void multipartAnswersAreSignedRequestsAndTheMediaPartIsReadWhole() {
        String path = "/_matrix/federation/v1/media/download/inline?timeout_ms=20000";
        Got got = client.downloadMedia(server, path, 1_000_000, FederationMediaDownloadTests::receive);
        assertThat(got.contentType()).isEqualTo("image/png");
        assertThat(got.disposition()).isEqualTo("inline; filename=\"a b.png\"");
        assertThat(got.bytes()).isEqualTo(media);
        Recorded request = peer.requests().get(0);
        assertThat(request.uri()).isEqualTo(path);
        assertThat(request.header("Authorization")).isEqualTo(XMatrix.sign(KEY, "GET", path, ORIGIN, server, null));
    }

    @Test
    void locationsAreFollowedUnsignedOverHttpsOnly() {
        Got got = client.downloadMedia(server, "/_matrix/federation/v1/media/download/located", 1_000_000,
                FederationMediaDownloadTests::receive);
        assertThat(got.contentType()).isEqualTo("text/plain");
        assertThat(got.disposition()).isEqualTo("attachment; filename=cdn.txt");
        assertThat(new String(got.bytes())).isEqualTo("from the CDN");
        List<Recorded> requests = peer.requests();
        assertThat(requests).extracting(Recorded::path).containsExactly("/_matrix/federation/v1/media/download/located",
                "/cdn/first", "/cdn/second");
        assertThat(requests.get(1).header("Authorization")).isNull();
        assertThat(requests.get(1).sni()).isEqualTo("cdn.test");
        assertThat(requests.get(2).header("Authorization")).isNull();

        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/plainhttp", 1_000_000,
                FederationMediaDownloadTests::receive))
                .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("we only fetch https URLs");
    }

    @Test
    void mediaOverTheLimitStopsBeingRead() {
        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/inline", 99_999,
                FederationMediaDownloadTests::receive))
                .isInstanceOf(FederationResponseTooLargeException.class).hasMessageContaining("99999");
        // Exactly at the limit is fine.
        assertThat(client.downloadMedia(server, "/_matrix/federation/v1/media/download/inline", 100_000,
                FederationMediaDownloadTests::receive).bytes()).hasSize(100_000);
        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/located", 5,
                FederationMediaDownloadTests::receive)).isInstanceOf(FederationResponseTooLargeException.class);
        assertThatThrownBy(() -> client.downloadLegacyMedia(server, "/_matrix/media/v3/download/legacy", 10,
                FederationMediaDownloadTests::receive)).isInstanceOf(FederationResponseTooLargeException.class);
    }

    @Test
    void brokenAnswersAreUnreachableAndErrorsCarryTheirErrcode() {
        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/json", 1000,
                FederationMediaDownloadTests::receive))
                .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("not multipart/mixed");
        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/truncated", 1000,
                FederationMediaDownloadTests::receive))
                .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("ended before the boundary");
        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/nojson", 1000,
                FederationMediaDownloadTests::receive))
                .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("not application/json");
        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/missing", 1000,
                FederationMediaDownloadTests::receive))
                .isInstanceOfSatisfying(FederationErrorResponseException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.errcode()).isEqualTo("M_NOT_FOUND");
                });
        assertThatThrownBy(() -> client.downloadMedia(server, "/_matrix/federation/v1/media/download/unserved", 1000,
                FederationMediaDownloadTests::receive))
                .isInstanceOfSatisfying(FederationErrorResponseException.class,
                        e -> assertThat(e.errcode()).isEqualTo("M_UNRECOGNIZED"));
    }

    @Test
    void legacyDownloadsAreThePlainBodyAndNeverFollowRedirects() {
        Got got = client.downloadLegacyMedia(server, "/_matrix/media/v3/download/legacy?allow_remote=false", 1_000_000,
                FederationMediaDownloadTests::receive);
        assertThat(got.contentType()).isEqualTo("image/gif");
        assertThat(got.bytes()).isEqualTo(media);
        assertThatThrownBy(() -> client.downloadLegacyMedia(server, "/_matrix/media/v3/download/moved", 1_000_000,
                FederationMediaDownloadTests::receive))
                .isInstanceOfSatisfying(FederationErrorResponseException.class,
                        e -> assertThat(e.status()).isEqualTo(307));
        assertThat(peer.hits("/cdn/second")).isZero(); // our signature never goes to where a redirect points
    }

    @Test
    void privateAddressesAreRefusedForMediaToo() {
        try (OutboundFixtures strict = new OutboundFixtures(dns.address(), false, true, Duration.ofSeconds(5),
                MutableClock.now(), peer.port())) {
            FederationClient strictClient = strict.client(ORIGIN, KEY);
            assertThatThrownBy(() -> strictClient.downloadMedia(server, "/_matrix/federation/v1/media/download/inline",
                    1_000_000, FederationMediaDownloadTests::receive))
                    .isInstanceOf(FederationUnreachableException.class).hasMessageContaining("allow-private-addresses");
        }
        assertThat(peer.requests()).isEmpty();
    }
}
