package org.vestibule.federation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.SigningKeyFixtures;
import org.vestibule.event.UnpaddedBase64;
import org.vestibule.event.VerifyKey;

/** The X-Matrix vectors of the reference (§5.6), made with the spec's test key. */
class XMatrixTests {

    private static final String MAKE_JOIN_URI = "/_matrix/federation/v1/make_join/!r:remote/%40a%3Adomain?ver=9&ver=10";
    private static final String MAKE_JOIN_SIG =
            "RdkPUUsxIaSW/FEc52E8f0cVTjgPDYlaCIy7yv8DUR+PsU/yiLiejmEo62U1PLBJJwwIeyIbkMm4PTih+u77Bg";
    private static final String SEND_SIG =
            "jdcJrGLIPQ7Pj0ZYtE7KhbFNBJZHF8lzU7NTZ9se0t8oVN/m099MtR2KEk5aRcxc37YONG7Y7xkZTSdPH/ryDQ";

    @Test
    void signsAGetWithoutContent() {
        String header = XMatrix.sign(SigningKeyFixtures.KEY, "GET", MAKE_JOIN_URI, "domain", "remote", null);
        assertThat(header).isEqualTo("X-Matrix origin=\"domain\",destination=\"remote\",key=\"ed25519:1\",sig=\""
                + MAKE_JOIN_SIG + "\"");
    }

    @Test
    void signsAPutWithItsContent() {
        Map<String, Object> content = Map.of("origin", "domain", "origin_server_ts", 1000000L, "pdus", List.of());
        String header = XMatrix.sign(SigningKeyFixtures.KEY, "PUT", "/_matrix/federation/v1/send/txn1", "domain", "remote",
                content);
        assertThat(header).endsWith(",sig=\"" + SEND_SIG + "\"");
    }

    @Test
    void vectorsVerifyWithThePublicKeyAlone() {
        VerifyKey key = VerifyKey.fromBase64("ed25519:1", "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI");
        byte[] signed = JsonSigning.signedBytes(XMatrix.requestJson("GET", MAKE_JOIN_URI, "domain", "remote", null));
        assertThat(key.verify(signed, UnpaddedBase64.decode(MAKE_JOIN_SIG))).isTrue();
        // The raw URI is what is signed: its decoded form is a different message.
        byte[] decoded = JsonSigning.signedBytes(XMatrix.requestJson("GET",
                "/_matrix/federation/v1/make_join/!r:remote/@a:domain?ver=9&ver=10", "domain", "remote", null));
        assertThat(key.verify(decoded, UnpaddedBase64.decode(MAKE_JOIN_SIG))).isFalse();
    }

    @Test
    void requestJsonLeavesOutAbsentContent() {
        assertThat(XMatrix.requestJson("GET", "/x", "a", "b", null)).doesNotContainKey("content");
        assertThat(XMatrix.requestJson("POST", "/x", "a", "b", Map.of())).containsEntry("content", Map.of());
    }
}
