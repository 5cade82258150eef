package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the listener's PEM files: the JDK for certificates and PKCS#8 keys, BouncyCastle for older key forms. */
class TlsCertificatesTests {

    @TempDir
    Path dir;

    @Test
    void aSelfSignedIdentityIsReadBackAsItWasWritten() throws Exception {
        TlsCertificates.Identity made = TlsCertificates.loadOrCreateSelfSigned(dir, "localhost");
        assertThat(Files.readString(dir.resolve("federation.key"))).startsWith("-----BEGIN PRIVATE KEY-----");

        TlsCertificates.Identity read = TlsCertificates.loadOrCreateSelfSigned(dir, "localhost");

        assertThat(read.chain()).isEqualTo(made.chain());
        assertThat(read.privateKey().getEncoded()).isEqualTo(made.privateKey().getEncoded());
        char[] password = "in-memory".toCharArray();
        KeyStore keyStore = read.keyStore(password);
        assertThat(keyStore.getKey("vestibule", password).getEncoded()).isEqualTo(made.privateKey().getEncoded());
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keyStore, password);
        assertThat(managers.getKeyManagers()).isNotEmpty();
    }

    @Test
    void theSelfSignedKeyIsOwnerOnlyAndNothingIsLeftBeside() throws Exception {
        TlsCertificates.loadOrCreateSelfSigned(dir, "localhost");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("federation.key"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("federation.crt"))))
                .isEqualTo("rw-r--r--");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("federation.crt", "federation.key");
        }
    }

    @Test
    void aKeyWithoutItsCertificateIsMadeAnew() throws Exception {
        // What a first start killed between the two files leaves: the key, published first, alone.
        Files.writeString(dir.resolve("federation.key"), "-----BEGIN PRIVATE KEY-----\nAAAA", StandardCharsets.UTF_8);

        TlsCertificates.Identity made = TlsCertificates.loadOrCreateSelfSigned(dir, "localhost");

        TlsCertificates.Identity read = TlsCertificates.loadOrCreateSelfSigned(dir, "localhost");
        assertThat(read.chain()).isEqualTo(made.chain());
        assertThat(read.privateKey().getEncoded()).isEqualTo(made.privateKey().getEncoded());
    }

    @Test
    void aCertificateIsIssuedFromATestNetworksCaOfEitherKind() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        for (KeyPair caKeys : List.of(TlsCertificates.newKeyPair(), rsa.generateKeyPair())) {
            X509Certificate ca = TlsCertificates.issue("Test network CA", caKeys, caKeys, null, true);
            Path caCert = dir.resolve("ca-" + caKeys.getPrivate().getAlgorithm() + ".crt");
            Path caKey = dir.resolve("ca-" + caKeys.getPrivate().getAlgorithm() + ".key");
            TlsCertificates.writePem(caCert, ca);
            TlsCertificates.writePem(caKey, new JcaPKCS8Generator(caKeys.getPrivate(), null).generate());

            TlsCertificates.Identity issued = TlsCertificates.issueFrom(TlsCertificates.load(caCert, caKey), "hs1");

            X509Certificate leaf = issued.chain().get(0);
            assertThat(issued.chain()).hasSize(2).element(1).isEqualTo(ca);
            assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, "hs1"));
            assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
            PKIXParameters trustingTheCa = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
            trustingTheCa.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), trustingTheCa);
            assertThat(leaf.getPublicKey()).isNotEqualTo(caKeys.getPublic());
        }
    }

    @Test
    void aCaKeyThatIsNotItsCertificatesIssuesNothing() throws Exception {
        KeyPair caKeys = TlsCertificates.newKeyPair();
        X509Certificate ca = TlsCertificates.issue("Test network CA", caKeys, caKeys, null, true);
        TlsCertificates.Identity mismatched = new TlsCertificates.Identity(List.of(ca), TlsCertificates.newKeyPair().getPrivate());

        assertThatThrownBy(() -> TlsCertificates.issueFrom(mismatched, "hs1"))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("could not issue a certificate for hs1 from the CA CN=Test network CA");
    }

    @Test
    void aCertificateThatIsNoCaIssuesNothing() throws Exception {
        KeyPair keys = TlsCertificates.newKeyPair();
        TlsCertificates.Identity leaf = new TlsCertificates.Identity(
                List.of(TlsCertificates.issue("hs0", keys, keys, null, false)), keys.getPrivate());

        assertThatThrownBy(() -> TlsCertificates.issueFrom(leaf, "hs1"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("is not a CA's");
    }

    @Test
    void aChainIsReadInOrderWithTextAroundItsBlocks() throws Exception {
        KeyPair caKeys = TlsCertificates.newKeyPair();
        X509Certificate ca = TlsCertificates.issue("Test CA", caKeys, caKeys, null, true);
        KeyPair leafKeys = TlsCertificates.newKeyPair();
        X509Certificate leaf = TlsCertificates.issue("matrix.example.org", leafKeys, caKeys, ca, false);
        Path certificate = dir.resolve("chain.pem");
        String pem = "subject=CN=matrix.example.org\n" + pem(leaf) + "\nissuer=CN=Test CA\n" + pem(ca) + "\n";
        Files.writeString(certificate, pem, StandardCharsets.UTF_8);
        Path key = dir.resolve("key.pem");
        TlsCertificates.writePem(key, new JcaPKCS8Generator(leafKeys.getPrivate(), null).generate());

        TlsCertificates.Identity identity = TlsCertificates.load(certificate, key);

        assertThat(identity.chain()).containsExactly(leaf, ca);
        assertThat(identity.privateKey().getEncoded()).isEqualTo(leafKeys.getPrivate().getEncoded());
    }

    /** Keys made by OpenSSL 3 (src/test/resources/tls): its SEC1, PKCS#1 and PKCS#8 forms. */
    @Test
    void keysInTheFormsOpensslWritesAreRead() throws Exception {
        KeyPair ec = TlsCertificates.newKeyPair();
        Path cert = dir.resolve("cert.pem");
        TlsCertificates.writePem(cert, TlsCertificates.issue("localhost", ec, ec, null, false));

        PrivateKey sec1 = TlsCertificates.load(cert, resource("ec-sec1.pem")).privateKey();
        PrivateKey pkcs8 = TlsCertificates.load(cert, resource("ec-pkcs8.pem")).privateKey();
        PrivateKey rsa = TlsCertificates.load(cert, resource("rsa-pkcs1.pem")).privateKey();
        PrivateKey ed25519 = TlsCertificates.load(cert, resource("ed25519.pem")).privateKey();

        assertThat(sec1.getAlgorithm()).isEqualTo("EC");
        assertThat(((ECPrivateKey) pkcs8).getS()).isEqualTo(((ECPrivateKey) sec1).getS());
        assertThat(rsa.getAlgorithm()).isEqualTo("RSA");
        assertThat(ed25519.getAlgorithm()).isIn("EdDSA", "Ed25519");
    }

    @Test
    void filesWithoutWhatTheyShouldHoldAreRefusedSayingWhich() throws Exception {
        KeyPair ec = TlsCertificates.newKeyPair();
        Path cert = dir.resolve("cert.pem");
        TlsCertificates.writePem(cert, TlsCertificates.issue("localhost", ec, ec, null, false));
        Path empty = dir.resolve("empty.pem");
        Files.writeString(empty, "nothing here\n");
        Path broken = dir.resolve("broken.pem");
        Files.writeString(broken, "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n");

        assertThatThrownBy(() -> TlsCertificates.load(empty, empty)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no certificate found in " + empty);
        assertThatThrownBy(() -> TlsCertificates.load(cert, empty)).hasMessageContaining("no private key found in " + empty);
        assertThatThrownBy(() -> TlsCertificates.load(cert, broken))
                .hasMessageContaining("the PKCS#8 key in " + broken + " is not a readable EC, RSA or Ed25519 key");
    }

    private static Path resource(String name) throws Exception {
        return Path.of(TlsCertificatesTests.class.getResource("/tls/" + name).toURI());
    }

    private String pem(X509Certificate certificate) throws Exception {
        Path file = Files.createTempFile(dir, "cert", ".pem");
        TlsCertificates.writePem(file, certificate);
        return Files.readString(file);
    }
}
