package org.vestibule.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Raw;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestImages;

/**
 * The content repository on one server, as clients see it: uploads and downloads with their
 * headers, the size limit, thumbnails, async uploads, and the deprecated endpoints before and
 * after the legacy cut-off.
 */
class MediaIntegrationTests {

    static final String CSP = "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; "
            + "style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";
    static final int LIMIT = 1024 * 1024;

    static TestHomeservers servers;
    static TestHomeservers.Homeserver hs;
    static MatrixClient client;
    static String serverName;
    static User alice;
    static User bob;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(1, "--vestibule.media.max-upload-size=1MB",
                "--vestibule.media.legacy-cutoff=2020-01-01T00:00:00Z", "--vestibule.media.max-pending-uploads=3");
        hs = servers.get(0);
        client = new MatrixClient(hs.clientBaseUrl());
        serverName = hs.serverName();
        alice = client.register(unique("alice"));
        bob = client.register(unique("bob"));
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static void assertError(Response r, int status, String errcode) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errcode()).as(r.raw()).isEqualTo(errcode);
    }

    static String mediaId(String mxc) {
        return mxc.substring(mxc.lastIndexOf('/') + 1);
    }

    static Raw get(String path, User user) {
        return client.raw("GET", path, user == null ? null : user.accessToken(), null, null);
    }

    @Test
    void uploadThenDownloadTheSameBytesWithTypeAndName() throws Exception {
        byte[] bytes = "Notes for the meeting\n".getBytes(StandardCharsets.UTF_8);
        String mxc = client.upload(alice, bytes, "text/plain", "notes.txt");
        assertThat(mxc).startsWith("mxc://" + serverName + "/").matches("mxc://[^/]+/[A-Za-z0-9]{24}");

        Raw download = client.download(bob, mxc).expect(200);
        assertThat(download.body()).isEqualTo(bytes);
        assertThat(download.header("Content-Type")).isEqualTo("text/plain");
        assertThat(download.header("Content-Disposition")).isEqualTo("inline; filename=notes.txt");
        assertThat(download.header("Content-Length")).isEqualTo(String.valueOf(bytes.length));
        assertThat(download.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(download.header("Content-Security-Policy")).isEqualTo(CSP);
        assertThat(download.header("Cross-Origin-Resource-Policy")).isEqualTo("cross-origin");

        // Range requests, as video players make them.
        HttpRequest range = HttpRequest.newBuilder(URI.create(hs.clientBaseUrl() + "/_matrix/client/v1/media/download/"
                + mxc.substring(6))).header("Authorization", "Bearer " + bob.accessToken()).header("Range", "bytes=6-8")
                .GET().build();
        HttpResponse<byte[]> part = HttpClient.newHttpClient().send(range, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(new String(part.body(), StandardCharsets.UTF_8)).isEqualTo("for");
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 6-8/" + bytes.length);
        assertThat(part.headers().firstValue("Content-Length")).hasValue("3");

        Raw renamed = get("/_matrix/client/v1/media/download/" + serverName + "/" + mediaId(mxc) + "/other%20name.txt", bob)
                .expect(200);
        assertThat(renamed.body()).isEqualTo(bytes);
        assertThat(renamed.header("Content-Disposition"))
                .isEqualTo("inline; filename=\"other name.txt\"; filename*=utf-8''other%20name.txt");

        // Types that are not safe to show are attachments; names outside ASCII travel in filename*.
        String html = client.upload(alice, "<script>alert(1)</script>".getBytes(), "text/html", "r\u00e9sum\u00e9.html");
        Raw page = client.download(bob, html).expect(200);
        assertThat(page.header("Content-Type")).isEqualTo("text/html");
        assertThat(page.header("Content-Disposition"))
                .isEqualTo("attachment; filename=\"r_sum_.html\"; filename*=utf-8''r%C3%A9sum%C3%A9.html");

        // No type: application/octet-stream; no name: none in the header.
        String untyped = client.upload(alice, new byte[] {1, 2, 3}, null, null);
        Raw octets = client.download(alice, untyped).expect(200);
        assertThat(octets.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(octets.header("Content-Disposition")).isEqualTo("attachment");
        assertThat(octets.body()).containsExactly(1, 2, 3);

        // A file of form data is bytes like any other: the body is never read as parameters.
        String form = client.upload(alice, "a=b&filename=x".getBytes(), "application/x-www-form-urlencoded", "form.txt");
        Raw formBack = client.download(alice, form).expect(200);
        assertThat(new String(formBack.body())).isEqualTo("a=b&filename=x");
        assertThat(formBack.header("Content-Disposition")).isEqualTo("attachment; filename=form.txt");

        // Equal bytes share one file.
        String again = client.upload(bob, bytes, "text/plain", "copy.txt");
        assertThat(again).isNotEqualTo(mxc);
        assertThat(client.download(alice, again).expect(200).body()).isEqualTo(bytes);
        assertThat(hs.bean(JdbcTemplate.class).queryForObject("select count(distinct sha256) from media where media_id in (?, ?)",
                Integer.class, mediaId(mxc), mediaId(again))).isEqualTo(1);
    }

    @Test
    void errorsOfUploadsAndDownloads() {
        assertError(client.raw("POST", "/_matrix/media/v3/upload", null, "text/plain", "x".getBytes()).json(), 401,
                "M_MISSING_TOKEN");
        assertError(get("/_matrix/client/v1/media/download/" + serverName + "/nothing", null).json(), 401,
                "M_MISSING_TOKEN");
        assertError(get("/_matrix/client/v1/media/download/" + serverName + "/NoSuchMedia", alice).json(), 404,
                "M_NOT_FOUND");
        assertError(get("/_matrix/client/v1/media/download/" + serverName + "/bad.id", alice).json(), 400,
                "M_INVALID_PARAM");
        assertError(get("/_matrix/client/v1/media/download/not%20a%20server/abc", alice).json(), 400, "M_INVALID_PARAM");
        assertError(client.raw("POST", "/_matrix/media/v3/upload?filename=" + "n".repeat(300), alice.accessToken(),
                "text/plain", "x".getBytes()).json(), 400, "M_INVALID_PARAM");
        assertThat(get("/_matrix/client/v1/media/config", alice).expect(200).json().body())
                .isEqualTo(Map.of("m.upload.size", (long) LIMIT));
        assertError(get("/_matrix/client/v1/media/config", null).json(), 401, "M_MISSING_TOKEN");
        // Previews are not built: the answer Synapse gives when they are off.
        assertError(get("/_matrix/client/v1/media/preview_url?url=https%3A%2F%2Fmatrix.org", alice).json(), 404,
                "M_UNRECOGNIZED");
        assertError(get("/_matrix/media/v3/preview_url?url=https%3A%2F%2Fmatrix.org", alice).json(), 404,
                "M_UNRECOGNIZED");
    }

    @Test
    void tooLargeUploadsGet413AndLeaveNothing() throws Exception {
        Integer before = hs.bean(JdbcTemplate.class).queryForObject("select count(*) from media", Integer.class);
        byte[] big = new byte[LIMIT + 200_000];
        new Random(1).nextBytes(big);
        // Declared too large: refused before reading.
        assertError(client.raw("POST", "/_matrix/media/v3/upload?filename=big.bin", alice.accessToken(),
                "application/octet-stream", big).json(), 413, "M_TOO_LARGE");
        // Chunked, with no length given: cut off at the limit while reading.
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(hs.clientBaseUrl() + "/_matrix/media/v3/upload"))
                .header("Authorization", "Bearer " + alice.accessToken()).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        HttpResponse<byte[]> answer = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                .send(chunked, HttpResponse.BodyHandlers.ofByteArray());
        assertError(new Raw(answer.statusCode(), answer.headers().map(), answer.body()).json(), 413, "M_TOO_LARGE");
        // Exactly the limit is fine.
        byte[] exact = Arrays.copyOf(big, LIMIT);
        String mxc = client.upload(alice, exact, "application/octet-stream", null);
        assertThat(client.download(alice, mxc).expect(200).body()).isEqualTo(exact);
        assertThat(hs.bean(JdbcTemplate.class).queryForObject("select count(*) from media", Integer.class))
                .isEqualTo(before + 1);
    }

    @Test
    void thumbnailsOfPngAndJpeg() {
        String png = client.upload(alice, TestImages.png(640, 480), "image/png", "picture.png");
        Raw crop = thumbnail(png, 96, 96, "crop").expect(200);
        assertThat(crop.header("Content-Type")).isEqualTo("image/png");
        assertThat(crop.header("Content-Disposition")).isEqualTo("inline; filename=thumbnail.png");
        assertImage(crop, 96, 96);
        assertImage(thumbnail(png, 50, 20, "crop").expect(200), 96, 96);
        assertImage(thumbnail(png, 10, 10, "crop").expect(200), 32, 32);
        assertImage(thumbnail(png, 320, 240, "scale").expect(200), 320, 240);
        assertImage(thumbnail(png, 100, 100, null).expect(200), 320, 240); // scale is the default
        assertImage(thumbnail(png, 600, 400, "scale").expect(200), 640, 480);
        // Made once, then served as kept.
        assertThat(thumbnail(png, 96, 96, "crop").body()).isEqualTo(crop.body());
        assertThat(hs.bean(JdbcTemplate.class).queryForObject("select count(*) from media_thumbnails where media_id = ?",
                Integer.class, mediaId(png))).isEqualTo(4);

        String jpeg = client.upload(alice, TestImages.jpeg(1200, 600), "image/jpeg", "photo.jpg");
        Raw jcrop = thumbnail(jpeg, 64, 64, "crop").expect(200);
        assertThat(jcrop.header("Content-Type")).isEqualTo("image/jpeg");
        assertThat(jcrop.header("Content-Disposition")).isEqualTo("inline; filename=thumbnail.jpg");
        assertImage(jcrop, 96, 96);
        assertImage(thumbnail(jpeg, 800, 600, "scale").expect(200), 800, 400);
        assertImage(thumbnail(jpeg, 1000, 1000, "scale").expect(200), 800, 400); // the largest we make
        // Asked for more than the whole image: the image itself.
        assertThat(thumbnail(jpeg, 2000, 2000, "scale").expect(200).body()).isEqualTo(client.download(alice, jpeg).body());

        // Content smaller than asked comes as it is.
        byte[] tiny = TestImages.png(20, 10);
        String small = client.upload(alice, tiny, "image/png", null);
        assertThat(thumbnail(small, 32, 32, "crop").expect(200).body()).isEqualTo(tiny);

        // A GIF gives a still PNG.
        String gif = client.upload(alice, TestImages.gif(300, 300), "image/gif", null);
        Raw still = thumbnail(gif, 32, 32, "crop").expect(200);
        assertThat(still.header("Content-Type")).isEqualTo("image/png");
        assertImage(still, 32, 32);
    }

    @Test
    void thumbnailsOfWhatIsNotAnImageAreMatrixErrors() {
        String text = client.upload(alice, "just text".getBytes(), "text/plain", "a.txt");
        Response notImage = thumbnail(text, 32, 32, "crop").json();
        assertError(notImage, 400, "M_UNKNOWN");
        assertThat(notImage.error()).contains("text/plain").contains("PNG, JPEG and GIF");

        String fake = client.upload(alice, "not really a png".getBytes(), "image/png", "fake.png");
        Response undecodable = thumbnail(fake, 32, 32, "crop").json();
        assertError(undecodable, 400, "M_UNKNOWN");
        assertThat(undecodable.error()).contains("cannot be read as an image");

        // A decompression bomb: a few hundred bytes claiming 2.5 billion pixels.
        String bomb = client.upload(alice, TestImages.pngClaiming(50_000, 50_000), "image/png", "bomb.png");
        Response tooLarge = thumbnail(bomb, 32, 32, "crop").json();
        assertError(tooLarge, 413, "M_TOO_LARGE");
        assertThat(tooLarge.error()).contains("2500000000 pixels");

        String png = client.upload(alice, TestImages.png(64, 64), "image/png", null);
        assertError(get("/_matrix/client/v1/media/thumbnail/" + serverName + "/" + mediaId(png) + "?height=32", alice)
                .json(), 400, "M_MISSING_PARAM");
        assertError(thumbnail(png, 0, 32, "crop").json(), 400, "M_INVALID_PARAM");
        assertError(thumbnail(png, 32, 32, "zoom").json(), 400, "M_INVALID_PARAM");
        assertError(get("/_matrix/client/v1/media/thumbnail/" + serverName + "/" + mediaId(png) + "?width=a&height=1",
                alice).json(), 400, "M_INVALID_PARAM");
        assertError(thumbnail("mxc://" + serverName + "/Missing", 32, 32, "crop").json(), 404, "M_NOT_FOUND");
    }

    @Test
    void asyncUploadsCreateThenPut() throws Exception {
        Response created = client.post("/_matrix/media/v1/create", alice.accessToken(), Map.of()).expect(200);
        String mxc = created.string("content_uri");
        assertThat(mxc).startsWith("mxc://" + serverName + "/");
        assertThat(((Number) created.body().get("unused_expires_at")).longValue())
                .isGreaterThan(System.currentTimeMillis() + 23 * 3600_000L);
        String id = mediaId(mxc);
        String put = "/_matrix/media/v3/upload/" + serverName + "/" + id + "?filename=later.txt";

        // Not there yet: 504 M_NOT_YET_UPLOADED once the wait is over.
        assertError(get("/_matrix/client/v1/media/download/" + serverName + "/" + id + "?timeout_ms=0", alice).json(),
                504, "M_NOT_YET_UPLOADED");
        // A download that waits gets the content when it comes.
        CompletableFuture<Raw> waiting = CompletableFuture.supplyAsync(() -> get("/_matrix/client/v1/media/download/"
                + serverName + "/" + id + "?timeout_ms=55000", bob));

        assertError(client.raw("PUT", put, bob.accessToken(), "text/plain", "x".getBytes()).json(), 403, "M_FORBIDDEN");
        assertThat(client.raw("PUT", put, alice.accessToken(), "text/plain", "arrived later".getBytes()).expect(200)
                .json().body()).isEqualTo(Map.of());
        assertError(client.raw("PUT", put, alice.accessToken(), "text/plain", "again".getBytes()).json(), 409,
                "M_CANNOT_OVERWRITE_MEDIA");

        Raw arrived = waiting.get();
        assertThat(arrived.status()).isEqualTo(200);
        assertThat(new String(arrived.body())).isEqualTo("arrived later");
        assertThat(arrived.header("Content-Disposition")).isEqualTo("inline; filename=later.txt");

        // Direct uploads cannot be overwritten either; IDs never created are unknown.
        String direct = client.upload(alice, "x".getBytes(), "text/plain", null);
        assertError(client.raw("PUT", "/_matrix/media/v3/upload/" + serverName + "/" + mediaId(direct),
                alice.accessToken(), "text/plain", "y".getBytes()).json(), 409, "M_CANNOT_OVERWRITE_MEDIA");
        assertError(client.raw("PUT", "/_matrix/media/v3/upload/" + serverName + "/NeverCreated", alice.accessToken(),
                "text/plain", "y".getBytes()).json(), 404, "M_NOT_FOUND");
        assertError(client.raw("PUT", "/_matrix/media/v3/upload/other.example/" + id, alice.accessToken(),
                "text/plain", "y".getBytes()).json(), 404, "M_NOT_FOUND");

        // At most three IDs waiting for content per user (this server's setting).
        User carol = client.register(unique("carol"));
        for (int i = 0; i < 3; i++) {
            client.post("/_matrix/media/v1/create", carol.accessToken(), null).expect(200);
        }
        Response limited = client.post("/_matrix/media/v1/create", carol.accessToken(), null);
        assertError(limited, 429, "M_LIMIT_EXCEEDED");
        assertThat(limited.body()).containsKey("retry_after_ms");

        // Expired IDs are gone: 404 for the upload and the download.
        Response late = client.post("/_matrix/media/v1/create", alice.accessToken(), null).expect(200);
        String lateId = mediaId(late.string("content_uri"));
        hs.bean(JdbcTemplate.class).update("update media set unused_expires_ts = 1 where media_id = ?", lateId);
        assertError(client.raw("PUT", "/_matrix/media/v3/upload/" + serverName + "/" + lateId, alice.accessToken(),
                "text/plain", "y".getBytes()).json(), 404, "M_NOT_FOUND");
        assertError(get("/_matrix/client/v1/media/download/" + serverName + "/" + lateId, alice).json(), 404,
                "M_NOT_FOUND");
    }

    @Test
    void legacyEndpointsServeOnlyMediaFromBeforeTheCutoff() {
        String old = client.upload(alice, TestImages.png(400, 300), "image/png", "old.png");
        String recent = client.upload(alice, "recent".getBytes(), "text/plain", "recent.txt");
        // This server's cut-off is 2020-01-01: make the first an upload of 2019, as if from before an upgrade.
        hs.bean(JdbcTemplate.class).update("update media set stored_ts = 1546300800000 where media_id = ?", mediaId(old));

        Raw legacy = get("/_matrix/media/v3/download/" + serverName + "/" + mediaId(old), null).expect(200);
        assertThat(legacy.body()).isEqualTo(client.download(alice, old).body());
        assertThat(legacy.header("Content-Disposition")).isEqualTo("inline; filename=old.png");
        assertThat(legacy.header("Content-Security-Policy")).isEqualTo(CSP);
        assertThat(get("/_matrix/media/r0/download/" + serverName + "/" + mediaId(old) + "/renamed.png", null)
                .expect(200).header("Content-Disposition")).isEqualTo("inline; filename=renamed.png");
        assertImage(get("/_matrix/media/v3/thumbnail/" + serverName + "/" + mediaId(old) + "?width=32&height=32"
                + "&method=crop", null).expect(200), 32, 32);

        // After the freeze: 404 M_NOT_FOUND (MSC3916), still there for the authenticated endpoints.
        Response frozen = get("/_matrix/media/v3/download/" + serverName + "/" + mediaId(recent), null).json();
        assertError(frozen, 404, "M_NOT_FOUND");
        assertThat(frozen.error()).contains("/_matrix/client/v1/media");
        assertError(get("/_matrix/media/v3/thumbnail/" + serverName + "/" + mediaId(recent) + "?width=32&height=32",
                null).json(), 404, "M_NOT_FOUND");
        assertThat(client.download(alice, recent).expect(200).body()).isEqualTo("recent".getBytes());

        // Other servers' media, with allow_remote=false, is never fetched.
        assertError(get("/_matrix/media/v3/download/remote.example/abc?allow_remote=false", null).json(), 404,
                "M_NOT_FOUND");
        // Not cached and frozen: not fetched either.
        assertError(get("/_matrix/media/v3/download/remote.example/abc", null).json(), 404, "M_NOT_FOUND");
        // Config still needs a token.
        assertError(get("/_matrix/media/v3/config", null).json(), 401, "M_MISSING_TOKEN");
        assertThat(get("/_matrix/media/v3/config", alice).expect(200).json().body()).isEqualTo(Map.of("m.upload.size", (long) LIMIT));
    }

    @Test
    void onlyAnAdminDeletesMediaAndItsThumbnails() {
        byte[] png = TestImages.png(200, 200);
        String mxc = client.upload(alice, png, "image/png", "to delete.png");
        String twin = client.upload(bob, png, "image/png", "twin.png");
        thumbnail(mxc, 32, 32, "crop").expect(200);
        String path = "/_synapse/admin/v1/media/" + serverName + "/" + mediaId(mxc);
        // Not the uploader, not anyone: admins only.
        assertError(client.raw("DELETE", path, alice.accessToken(), null, null).json(), 403, "M_FORBIDDEN");

        User admin = client.register(unique("admin"));
        hs.bean(JdbcTemplate.class).update("update users set admin = true where user_id = ?", admin.userId());
        assertThat(client.raw("DELETE", path, admin.accessToken(), null, null).expect(200).json().body())
                .isEqualTo(Map.of("deleted_media", List.of(mediaId(mxc)), "total", 1L));
        assertError(client.download(bob, mxc).json(), 404, "M_NOT_FOUND");
        assertError(thumbnail(mxc, 32, 32, "crop").json(), 404, "M_NOT_FOUND");
        assertError(client.raw("DELETE", path, admin.accessToken(), null, null).json(), 404, "M_NOT_FOUND");
        // The same bytes uploaded by someone else stay.
        assertThat(client.download(bob, twin).expect(200).body()).isEqualTo(png);
    }

    static Raw thumbnail(String mxc, int width, int height, String method) {
        return get("/_matrix/client/v1/media/thumbnail/" + mxc.substring("mxc://".length()) + "?width=" + width
                + "&height=" + height + (method == null ? "" : "&method=" + method), alice);
    }

    static void assertImage(Raw answer, int width, int height) {
        BufferedImage image = TestImages.decode(answer.body());
        assertThat(image.getWidth()).as("width").isEqualTo(width);
        assertThat(image.getHeight()).as("height").isEqualTo(height);
    }
}
