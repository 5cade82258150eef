package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient.Raw;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestImages;

/**
 * Media across Synapse and Vestibule, through each side's authenticated client API: each server
 * fetches the other's media over {@code /_matrix/federation/v1/media/download} and serves it to its
 * own user with the uploader's type and file name; thumbnails of the other's images.
 */
@DisplayName("Media")
class MediaInteropTests {

    static Synapse synapse;
    static TestHomeservers servers;
    static TestHomeservers.Homeserver vestibule;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> new String[0]);
        vestibule = servers.get(0);
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    static Raw get(Member member, String path) {
        return member.client().raw("GET", path, member.user().accessToken(), null, null);
    }

    static void assertImage(Raw answer, int width, int height) {
        BufferedImage image = TestImages.decode(answer.body());
        assertThat(image.getWidth()).as("width").isEqualTo(width);
        assertThat(image.getHeight()).as("height").isEqualTo(height);
    }

    @Test
    @DisplayName("uploaded on Synapse, fetched by a Vestibule user through Vestibule, with type, name and thumbnails")
    void synapseMediaThroughVestibule() {
        Member carol = synapseUser(synapse, "carol");
        Member dave = vestibuleUser(vestibule, "dave");
        byte[] png = TestImages.png(640, 480);
        String mxc = carol.client().upload(carol.user(), png, "image/png", "from synapse.png");
        assertThat(mxc).startsWith("mxc://" + synapse.serverName() + "/");

        Raw image = dave.client().download(dave.user(), mxc).expect(200);
        assertThat(image.body()).isEqualTo(png);
        assertThat(image.header("Content-Type")).isEqualTo("image/png");
        assertThat(image.header("Content-Disposition"))
                .isEqualTo("inline; filename=\"from synapse.png\"; filename*=utf-8''from%20synapse.png");
        assertImage(get(dave, "/_matrix/client/v1/media/thumbnail/" + mxc.substring(6) + "?width=96&height=96"
                + "&method=crop").expect(200), 96, 96);
        assertImage(get(dave, "/_matrix/client/v1/media/thumbnail/" + mxc.substring(6) + "?width=320&height=240"
                + "&method=scale").expect(200), 320, 240);

        byte[] text = "Gr\u00fc\u00dfe aus Synapse".getBytes(StandardCharsets.UTF_8);
        String doc = carol.client().upload(carol.user(), text, "text/plain", "gr\u00fc\u00dfe.txt");
        Raw textBack = dave.client().download(dave.user(), doc).expect(200);
        assertThat(textBack.body()).isEqualTo(text);
        assertThat(textBack.header("Content-Type")).startsWith("text/plain");
        assertThat(textBack.header("Content-Disposition")).endsWith("filename*=utf-8''gr%C3%BC%C3%9Fe.txt");

        // Unknown media on Synapse: its 404 reaches our user as 404 M_NOT_FOUND.
        Raw missing = get(dave, "/_matrix/client/v1/media/download/" + synapse.serverName() + "/NoSuchMediaHere");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().errcode()).isEqualTo("M_NOT_FOUND");
    }

    @Test
    @DisplayName("uploaded on Vestibule, fetched by a Synapse user through Synapse, with type, name and thumbnails")
    void vestibuleMediaThroughSynapse() {
        Member alice = vestibuleUser(vestibule, "alice");
        Member bob = synapseUser(synapse, "bob");
        byte[] jpeg = TestImages.jpeg(800, 600);
        String mxc = alice.client().upload(alice.user(), jpeg, "image/jpeg", "from vestibule.jpg");
        assertThat(mxc).startsWith("mxc://" + vestibule.serverName() + "/");

        Raw image = bob.client().download(bob.user(), mxc).expect(200);
        assertThat(image.body()).isEqualTo(jpeg);
        assertThat(image.header("Content-Type")).isEqualTo("image/jpeg");
        // Synapse read the name from our multipart answer and gives it in its own form.
        assertThat(image.header("Content-Disposition")).isEqualTo("inline; filename*=utf-8''from%20vestibule.jpg");
        // Synapse thumbnails the original it fetched: 96x96 crop among its default sizes.
        Raw thumbnail = get(bob, "/_matrix/client/v1/media/thumbnail/" + mxc.substring(6) + "?width=96&height=96"
                + "&method=crop").expect(200);
        assertImage(thumbnail, 96, 96);

        byte[] pdf = "%PDF-1.4 not really".getBytes(StandardCharsets.US_ASCII);
        String doc = alice.client().upload(alice.user(), pdf, "application/pdf", "r\u00e9sum\u00e9.pdf");
        Raw docBack = bob.client().download(bob.user(), doc).expect(200);
        assertThat(docBack.body()).isEqualTo(pdf);
        assertThat(docBack.header("Content-Type")).isEqualTo("application/pdf");
        assertThat(docBack.header("Content-Disposition")).isEqualTo("attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf");

        Raw missing = get(bob, "/_matrix/client/v1/media/download/" + vestibule.serverName() + "/NoSuchMediaHere");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().errcode()).isEqualTo("M_NOT_FOUND");
    }
}
