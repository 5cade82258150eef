package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.support.TestCertificates;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestHomeservers.Homeserver;

/**
 * A server given a test network's CA instead of a certificate (as Complement mounts one): it serves
 * a certificate issued from it at start, which a peer trusting that CA checks and accepts.
 */
class IssuedCertificateIntegrationTests {

    static TestHomeservers servers;
    static Homeserver issuing;
    static Homeserver peer;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2, i -> i == 0 ? new String[] {
                "--vestibule.tls.issuer-certificate=" + TestCertificates.caPem(),
                "--vestibule.tls.issuer-key=" + TestCertificates.caKeyPem()} : new String[0]);
        issuing = servers.get(0);
        peer = servers.get(1);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void itServesACertificateForItsNameFromTheCa() throws Exception {
        Certificate[] served;
        try (SSLSocket socket = (SSLSocket) TestCertificates.clientContext().getSocketFactory()
                .createSocket("127.0.0.1", issuing.tlsPort())) {
            socket.startHandshake();
            served = socket.getSession().getPeerCertificates();
        }

        X509Certificate leaf = (X509Certificate) served[0];
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, "localhost"));
        assertThat(leaf.getIssuerX500Principal()).isEqualTo(TestCertificates.caCertificate().getSubjectX500Principal());
        leaf.verify(TestCertificates.caCertificate().getPublicKey());
        assertThat(served[1]).isEqualTo(TestCertificates.caCertificate());
    }

    @Test
    void aPeerThatChecksCertificatesReachesIt() {
        assertThat(peer.bean(FederationClient.class).get(issuing.serverName(), "/_matrix/key/v2/server").object())
                .containsEntry("server_name", issuing.serverName());
    }
}
