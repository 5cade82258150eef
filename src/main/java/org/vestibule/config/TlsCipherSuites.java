package org.vestibule.config;

import java.util.List;
import java.util.stream.Stream;

/**
 * The TLS cipher suites of federation, both ways, ChaCha20-Poly1305 first. AES-GCM is fast in Java
 * only once C2 has compiled it with its AES and carry-less-multiply intrinsics: under C1, which
 * {@code bin/vestibule} runs by default, and in any JVM's first seconds, it encrypts about 45 MB/s,
 * against 215 MB/s for ChaCha20-Poly1305 (2 cores, JDK 25; bench/README.md, "Footprint"). A
 * send_join answer for a large room is megabytes. A peer without ChaCha20 gets AES-GCM. The
 * listener's BoringSSL ({@link NativeTls}) keeps this order in TLS 1.2 and takes the peer's in TLS 1.3.
 */
public final class TlsCipherSuites {

    private static final List<String> TLS13 = List.of(
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384");
    private static final List<String> TLS12 = List.of(
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");

    private TlsCipherSuites() {}

    /** TLS 1.3's, in order of preference (JSSE names). */
    public static List<String> tls13() {
        return TLS13;
    }

    /** TLS 1.2's, in order of preference (JSSE names). */
    public static List<String> tls12() {
        return TLS12;
    }

    /** Both, for a client that offers them in one list. */
    public static String[] preferred() {
        return Stream.concat(TLS13.stream(), TLS12.stream()).toArray(String[]::new);
    }
}
