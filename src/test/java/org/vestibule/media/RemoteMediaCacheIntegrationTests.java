package org.vestibule.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Raw;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestImages;

/** Media of hs1 fetched by hs2 is served from hs2's cache once hs1 is gone. */
class RemoteMediaCacheIntegrationTests {

    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void servedFromHs2sCacheWithHs1Stopped() {
        TestHomeservers.Homeserver hs1 = servers.get(0);
        TestHomeservers.Homeserver hs2 = servers.get(1);
        MatrixClient client1 = new MatrixClient(hs1.clientBaseUrl());
        MatrixClient client2 = new MatrixClient(hs2.clientBaseUrl());
        User alice = client1.register(unique("alice"));
        User bob = client2.register(unique("bob"));

        byte[] jpeg = TestImages.jpeg(900, 600);
        String mxc = client1.upload(alice, jpeg, "image/jpeg", "cat.jpg");
        String notFetched = client1.upload(alice, "never asked for".getBytes(), "text/plain", null);
        assertThat(client2.download(bob, mxc).expect(200).body()).isEqualTo(jpeg);
        assertImage(thumbnail(client2, bob, mxc, 96, 96, "crop"), 96, 96);

        hs1.close();

        Raw cached = client2.download(bob, mxc).expect(200);
        assertThat(cached.body()).isEqualTo(jpeg);
        assertThat(cached.header("Content-Type")).isEqualTo("image/jpeg");
        assertThat(cached.header("Content-Disposition")).isEqualTo("inline; filename=cat.jpg");
        assertThat(client2.raw("GET", "/_matrix/client/v1/media/download/" + mxc.substring(6) + "/renamed.jpg",
                bob.accessToken(), null, null).expect(200).header("Content-Disposition"))
                .isEqualTo("inline; filename=renamed.jpg");
        // The thumbnail made before, and one made now from the cached original.
        assertImage(thumbnail(client2, bob, mxc, 96, 96, "crop"), 96, 96);
        assertImage(thumbnail(client2, bob, mxc, 640, 480, "scale"), 640, 427);

        // What hs2 never fetched cannot be had now; its answer says why.
        Response gone = client2.download(bob, notFetched).json();
        assertThat(gone.status()).isEqualTo(502);
        assertThat(gone.errcode()).isEqualTo("M_UNKNOWN");
        assertThat(gone.error()).contains(hs1.serverName());
        // Cached after the (default, unset) cut-off: not for the unauthenticated endpoints.
        assertThat(client2.raw("GET", "/_matrix/media/v3/download/" + mxc.substring(6), null, null, null).json()
                .errcode()).isEqualTo("M_NOT_FOUND");
    }

    static Raw thumbnail(MatrixClient client, User user, String mxc, int width, int height, String method) {
        return client.raw("GET", "/_matrix/client/v1/media/thumbnail/" + mxc.substring(6) + "?width=" + width
                + "&height=" + height + "&method=" + method, user.accessToken(), null, null).expect(200);
    }

    static void assertImage(Raw answer, int width, int height) {
        BufferedImage image = TestImages.decode(answer.body());
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
    }
}
