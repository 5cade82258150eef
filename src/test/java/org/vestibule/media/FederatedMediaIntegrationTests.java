package org.vestibule.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Recorded;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Raw;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestImages;

/**
 * Media across servers: hs2's clients get hs1's media through hs2 over the federation media
 * endpoints, which are checked as a peer sees them; remote peers that only have the legacy
 * endpoint, that redirect, that send too much or garbage, and many clients asking at once.
 */
class FederatedMediaIntegrationTests {

    static TestHomeservers servers;
    static TestHomeservers.Homeserver hs1;
    static TestHomeservers.Homeserver hs2;
    static MatrixClient client1;
    static MatrixClient client2;
    static User alice;
    static User bob;
    static FakeFederationServer fake;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2, i -> i == 1 ? new String[] {"--vestibule.media.max-upload-size=1MB"}
                : new String[0]);
        hs1 = servers.get(0);
        hs2 = servers.get(1);
        client1 = new MatrixClient(hs1.clientBaseUrl());
        client2 = new MatrixClient(hs2.clientBaseUrl());
        alice = client1.register(unique("alice"));
        bob = client2.register(unique("bob"));
        fake = FakeFederationServer.start();
    }

    @AfterAll
    static void stop() {
        fake.close();
        servers.close();
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    static String mediaId(String mxc) {
        return mxc.substring(mxc.lastIndexOf('/') + 1);
    }

    /** What a peer's download answer held. */
    record Part(String contentType, String disposition, byte[] bytes) {}

    @Test
    void aClientOfHs2GetsMediaUploadedOnHs1() {
        byte[] png = TestImages.png(500, 400);
        String mxc = client1.upload(alice, png, "image/png", "holiday photo.png");
        assertThat(mxc).startsWith("mxc://" + hs1.serverName() + "/");

        Raw remote = client2.download(bob, mxc).expect(200);
        assertThat(remote.body()).isEqualTo(png);
        assertThat(remote.header("Content-Type")).isEqualTo("image/png");
        assertThat(remote.header("Content-Disposition"))
                .isEqualTo("inline; filename=\"holiday photo.png\"; filename*=utf-8''holiday%20photo.png");
        assertThat(remote.header("Content-Security-Policy")).isEqualTo(MediaIntegrationTests.CSP);
        // Cached on hs2 with its metadata.
        Map<String, Object> row = hs2.bean(JdbcTemplate.class).queryForMap("select uploader, content_type, upload_name, "
                + "size from media where origin = ? and media_id = ?", hs1.serverName(), mediaId(mxc));
        assertThat(row).containsEntry("content_type", "image/png").containsEntry("upload_name", "holiday photo.png")
                .containsEntry("size", (long) png.length);
        assertThat(row.get("uploader")).isNull();

        Raw thumbnail = client2.raw("GET", "/_matrix/client/v1/media/thumbnail/" + mxc.substring(6)
                + "?width=96&height=96&method=crop", bob.accessToken(), null, null).expect(200);
        BufferedImage image = TestImages.decode(thumbnail.body());
        assertThat(image.getWidth()).isEqualTo(96);
        assertThat(image.getHeight()).isEqualTo(96);

        assertError(client2.raw("GET", "/_matrix/client/v1/media/download/" + hs1.serverName() + "/NoSuchMedia",
                bob.accessToken(), null, null).json(), 404, "M_NOT_FOUND");
    }

    @Test
    void theFederationEndpointsAsAPeerSeesThem() {
        byte[] text = "plain text, federated".getBytes(StandardCharsets.UTF_8);
        String mxc = client1.upload(alice, text, "text/plain", "f.txt");
        FederationClient peer = hs2.bean(FederationClient.class);
        Part part = peer.downloadMedia(hs1.serverName(), "/_matrix/federation/v1/media/download/" + mediaId(mxc),
                1 << 20, p -> new Part(p.contentType(), p.contentDisposition(), p.bytes().readAllBytes()));
        assertThat(part.contentType()).isEqualTo("text/plain");
        assertThat(part.disposition()).isEqualTo("inline; filename=f.txt");
        assertThat(part.bytes()).isEqualTo(text);

        String png = client1.upload(alice, TestImages.png(300, 300), "image/png", null);
        Part thumb = peer.downloadMedia(hs1.serverName(), "/_matrix/federation/v1/media/thumbnail/" + mediaId(png)
                + "?width=32&height=32&method=crop", 1 << 20, p -> new Part(p.contentType(), p.contentDisposition(),
                p.bytes().readAllBytes()));
        assertThat(thumb.contentType()).isEqualTo("image/png");
        assertThat(TestImages.decode(thumb.bytes()).getWidth()).isEqualTo(32);

        try {
            peer.downloadMedia(hs1.serverName(), "/_matrix/federation/v1/media/download/NoSuchMedia", 1 << 20,
                    p -> p.bytes().readAllBytes());
            throw new AssertionError("expected 404");
        } catch (FederationErrorResponseException e) {
            assertThat(e.status()).isEqualTo(404);
            assertThat(e.errcode()).isEqualTo("M_NOT_FOUND");
        }
        // Without a signature: 401.
        assertError(client1.raw("GET", "/_matrix/federation/v1/media/download/" + mediaId(mxc), null, null, null).json(),
                401, "M_UNAUTHORIZED");
        // Media we only cached is not ours to serve over federation (MSC3916).
        String cached = client1.upload(alice, "x".getBytes(), "text/plain", null);
        client2.download(bob, cached).expect(200);
        try {
            hs1.bean(FederationClient.class).downloadMedia(hs2.serverName(), "/_matrix/federation/v1/media/download/"
                    + mediaId(cached), 1 << 20, p -> p.bytes().readAllBytes());
            throw new AssertionError("expected 404");
        } catch (FederationErrorResponseException e) {
            assertThat(e.status()).isEqualTo(404);
        }
    }

    @Test
    void manyClientsAskingAtOnceCauseOneFetch() throws Exception {
        String mediaId = "Concurrent" + System.nanoTime();
        String path = "/_matrix/federation/v1/media/download/" + mediaId;
        byte[] bytes = new byte[200_000];
        new Random(5).nextBytes(bytes);
        CountDownLatch release = new CountDownLatch(1);
        fake.on(path, r -> {
            release.await(60, TimeUnit.SECONDS);
            return multipart("application/pdf", "attachment; filename=doc.pdf", bytes);
        });
        RemoteMedia remote = hs2.bean(RemoteMedia.class);
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Raw>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(clients.submit(() -> client2.download(bob, "mxc://" + fake.serverName() + "/" + mediaId)));
            }
            until("one fetch under way and seven requests waiting for it",
                    () -> fake.hits(path) == 1 && remote.followers(fake.serverName(), mediaId) == 7);
            release.countDown();
            for (Future<Raw> answer : answers) {
                Raw r = answer.get(60, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(bytes);
                assertThat(r.header("Content-Disposition")).isEqualTo("attachment; filename=doc.pdf");
            }
        } finally {
            release.countDown();
            clients.shutdownNow();
        }
        client2.download(bob, "mxc://" + fake.serverName() + "/" + mediaId).expect(200);
        assertThat(fake.hits(path)).isEqualTo(1);
    }

    @Test
    void peersWithOnlyTheLegacyEndpointAreAskedThere() {
        String mediaId = "Legacy" + System.nanoTime();
        byte[] gif = TestImages.gif(40, 40);
        // As an old Synapse: the federation endpoint is unknown, the client-API one serves.
        fake.on("/_matrix/federation/v1/media/download/" + mediaId, r -> Reply.json(404,
                Map.of("errcode", "M_UNRECOGNIZED", "error", "Unrecognized request")));
        String legacy = "/_matrix/media/v3/download/" + FederationClient.pathSegment(fake.serverName()) + "/" + mediaId;
        fake.on(legacy, r -> new Reply(200, Map.of("Content-Type", "image/gif", "Content-Disposition",
                "inline; filename*=utf-8''%E2%98%83.gif"), gif));
        Raw answer = client2.download(bob, "mxc://" + fake.serverName() + "/" + mediaId).expect(200);
        assertThat(answer.body()).isEqualTo(gif);
        assertThat(answer.header("Content-Type")).isEqualTo("image/gif");
        assertThat(answer.header("Content-Disposition"))
                .isEqualTo("inline; filename=\"_.gif\"; filename*=utf-8''%E2%98%83.gif");
        Recorded asked = fake.requests().stream().filter(r -> r.path().equals(legacy)).findFirst().orElseThrow();
        assertThat(asked.uri()).contains("allow_remote=false");
        assertThat(asked.header("Authorization")).startsWith("X-Matrix ");

        // A 404 that is a real "no such media" is not an unknown endpoint: no fallback.
        String missing = "Missing" + System.nanoTime();
        fake.on("/_matrix/federation/v1/media/download/" + missing, r -> Reply.json(404,
                Map.of("errcode", "M_NOT_FOUND", "error", "Not found")));
        assertError(client2.download(bob, "mxc://" + fake.serverName() + "/" + missing).json(), 404, "M_NOT_FOUND");
        assertThat(fake.hits("/_matrix/media/v3/download/" + FederationClient.pathSegment(fake.serverName()) + "/"
                + missing)).isZero();
    }

    @Test
    void locationPartsAreFollowed() {
        String mediaId = "Located" + System.nanoTime();
        fake.on("/_matrix/federation/v1/media/download/" + mediaId, r -> new Reply(200,
                Map.of("Content-Type", "multipart/mixed; boundary=zzz"), ("--zzz\r\nContent-Type: application/json\r\n"
                + "\r\n{}\r\n--zzz\r\nLocation: https://localhost:" + fake.port() + "/cdn/" + mediaId + "\r\n\r\n\r\n--zzz--")
                .getBytes(StandardCharsets.UTF_8)));
        fake.on("/cdn/" + mediaId, r -> new Reply(200, Map.of("Content-Type", "video/mp4", "Content-Disposition",
                "inline; filename=clip.mp4"), "not really a video".getBytes()));
        Raw answer = client2.download(bob, "mxc://" + fake.serverName() + "/" + mediaId).expect(200);
        assertThat(new String(answer.body())).isEqualTo("not really a video");
        assertThat(answer.header("Content-Type")).isEqualTo("video/mp4");
        assertThat(answer.header("Content-Disposition")).isEqualTo("inline; filename=clip.mp4");
    }

    @Test
    void tooLargeOrBrokenRemoteMediaIsRefusedAndNotKept() {
        String big = "Big" + System.nanoTime();
        fake.on("/_matrix/federation/v1/media/download/" + big, r -> multipart("application/octet-stream", "attachment",
                new byte[1024 * 1024 + 1]));
        Response tooLarge = client2.download(bob, "mxc://" + fake.serverName() + "/" + big).json();
        assertError(tooLarge, 502, "M_TOO_LARGE");
        assertThat(tooLarge.error()).contains("1048576");

        String broken = "Broken" + System.nanoTime();
        fake.on("/_matrix/federation/v1/media/download/" + broken, r -> new Reply(200,
                Map.of("Content-Type", "multipart/mixed; boundary=b"), ("--b\r\nContent-Type: application/json\r\n\r\n{}"
                + "\r\n--b\r\nContent-Type: image/png\r\n\r\ncut off in the midd").getBytes()));
        Response truncated = client2.download(bob, "mxc://" + fake.serverName() + "/" + broken).json();
        assertError(truncated, 502, "M_UNKNOWN");
        assertThat(truncated.error()).contains("ended before the boundary");
        // Nothing was kept: the next request asks again.
        client2.download(bob, "mxc://" + fake.serverName() + "/" + broken);
        assertThat(fake.hits("/_matrix/federation/v1/media/download/" + broken)).isEqualTo(2);
        assertThat(hs2.bean(JdbcTemplate.class).queryForObject("select count(*) from media where media_id in (?, ?)",
                Integer.class, big, broken)).isZero();

        // A server that is not there: 502 saying so.
        Response unreachable = client2.download(bob, "mxc://localhost:1/Whatever").json();
        assertError(unreachable, 502, "M_UNKNOWN");
        assertThat(unreachable.error()).contains("localhost:1");
    }

    static Reply multipart(String contentType, String disposition, byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--b0\r\nContent-Type: application/json\r\n\r\n{}\r\n--b0\r\nContent-Type: " + contentType
                + "\r\nContent-Disposition: " + disposition + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(bytes);
        out.writeBytes("\r\n--b0--\r\n".getBytes(StandardCharsets.UTF_8));
        return new Reply(200, Map.of("Content-Type", "multipart/mixed; boundary=b0"), out.toByteArray());
    }
}
