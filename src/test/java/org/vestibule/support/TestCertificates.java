package org.vestibule.support;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.vestibule.config.TlsCertificates;

/**
 * A certificate authority made once per JVM for tests, and server certificates it issues. Test
 * servers present these; Vestibule instances trust the CA through
 * {@code vestibule.federation.tls.trusted-ca}, as a production server trusts public CAs.
 */
public final class TestCertificates {

    private record Ca(KeyPair keys, X509Certificate certificate, Path pem) {}

    private static Ca ca;

    private TestCertificates() {}

    private static synchronized Ca ca() {
        if (ca == null) {
            try {
                KeyPair keys = TlsCertificates.newKeyPair();
                X509Certificate certificate = TlsCertificates.issue("Vestibule Test CA", keys, keys, null, true);
                Path pem = Files.createTempFile("vestibule-test-ca", ".crt");
                TlsCertificates.writePem(pem, certificate);
                pem.toFile().deleteOnExit();
                ca = new Ca(keys, certificate, pem);
            } catch (Exception e) {
                throw new IllegalStateException("could not create the test CA", e);
            }
        }
        return ca;
    }

    /** The CA certificate as a PEM file. */
    public static Path caPem() {
        return ca().pem();
    }

    /** The CA's private key as a PKCS#8 PEM file, for a server that issues its own certificate from it. */
    public static synchronized Path caKeyPem() {
        try {
            Path pem = Files.createTempFile("vestibule-test-ca", ".key");
            TlsCertificates.writePem(pem, new JcaPKCS8Generator(ca().keys().getPrivate(), null).generate());
            pem.toFile().deleteOnExit();
            return pem;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static X509Certificate caCertificate() {
        return ca().certificate();
    }

    /** A server certificate for the given DNS names and IP literals, issued by the test CA. */
    public static TlsCertificates.Identity issue(String... names) {
        Ca authority = ca();
        try {
            KeyPair keys = TlsCertificates.newKeyPair();
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(authority.certificate().getSubjectX500Principal().getEncoded()),
                    new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))),
                    new X500Name("CN=" + names[0]), keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            GeneralName[] sans = new GeneralName[names.length];
            for (int i = 0; i < names.length; i++) {
                sans[i] = TlsCertificates.isIpLiteral(names[i])
                        ? new GeneralName(GeneralName.iPAddress, names[i])
                        : new GeneralName(GeneralName.dNSName, names[i]);
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(authority.keys().getPrivate())));
            return new TlsCertificates.Identity(List.of(certificate, authority.certificate()), keys.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException("could not issue a test certificate for " + List.of(names), e);
        }
    }

    /** Writes an identity as {@code <name>.crt} and {@code <name>.key} PEM files; returns {cert, key}. */
    public static Path[] writePem(TlsCertificates.Identity identity, Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Path cert = dir.resolve(name + ".crt");
            Path key = dir.resolve(name + ".key");
            StringBuilder chain = new StringBuilder();
            for (X509Certificate c : identity.chain()) {
                Path one = Files.createTempFile(dir, "cert", ".pem");
                TlsCertificates.writePem(one, c);
                chain.append(Files.readString(one));
                Files.delete(one);
            }
            Files.writeString(cert, chain);
            TlsCertificates.writePem(key, new JcaPKCS8Generator(identity.privateKey(), null).generate());
            return new Path[] {cert, key};
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A server-side TLS context presenting the identity. */
    public static SSLContext serverContext(TlsCertificates.Identity identity) {
        try {
            char[] password = "test".toCharArray();
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(identity.keyStore(password), password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client-side TLS context trusting only the test CA (for JDK HttpClients in tests). */
    public static SSLContext clientContext() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("test-ca", caCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
