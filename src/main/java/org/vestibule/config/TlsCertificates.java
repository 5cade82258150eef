package org.vestibule.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** PEM certificates for the HTTPS listener: loading configured ones and making self-signed ones. */
public final class TlsCertificates {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** A certificate chain and its key. */
    public record Identity(List<X509Certificate> chain, PrivateKey privateKey) {

        /**
         * An in-memory key store holding the identity under alias "vestibule". JKS, not PKCS#12: it is never
         * written out, and PKCS#12 would wrap the key with 10,000 rounds of PBKDF2 here and again when Tomcat
         * unwraps it, ~30 ms of every start.
         */
        public KeyStore keyStore(char[] password) {
            try {
                KeyStore ks = KeyStore.getInstance("JKS");
                ks.load(null, null);
                ks.setKeyEntry("vestibule", privateKey, password, chain.toArray(new Certificate[0]));
                return ks;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("could not build the TLS key store", e);
            }
        }
    }

    private TlsCertificates() {}

    /** Reads a PEM certificate chain and private key. */
    public static Identity load(Path certificate, Path privateKey) {
        try {
            return new Identity(readCertificates(certificate), readPrivateKey(privateKey));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("could not read the TLS certificate " + certificate + " or key " + privateKey
                    + ": " + reason(e), e);
        }
    }

    /** The file system's exceptions carry only the path; say what happened to it. */
    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException missing) {
            return missing.getFile() + " does not exist";
        }
        if (e instanceof AccessDeniedException denied) {
            return denied.getFile() + " cannot be read (permission denied)";
        }
        return e.getMessage();
    }

    /** The certificate kept under {@code dir}, made self-signed for {@code host} on first use. */
    public static Identity loadOrCreateSelfSigned(Path dir, String host) {
        Path cert = dir.resolve("federation.crt");
        Path key = dir.resolve("federation.key");
        if (Files.exists(cert) && Files.exists(key)) {
            return load(cert, key);
        }
        try {
            Files.createDirectories(dir);
            KeyPair pair = newKeyPair();
            X509Certificate certificate = issue(host, pair, pair, null, false);
            // Each file appears whole or not at all, the certificate last: a start killed half way
            // leaves no pair that the next start would take for complete.
            publish(key, pem(new JcaPKCS8Generator(pair.getPrivate(), null).generate()), true);
            publish(cert, pem(certificate), false);
            return new Identity(List.of(certificate), pair.getPrivate());
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("could not create a self-signed certificate in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A certificate for {@code host} with a fresh key, issued by {@code ca}: the chain it serves is that
     * certificate and the CA's.
     */
    public static Identity issueFrom(Identity ca, String host) {
        X509Certificate authority = ca.chain().get(0);
        if (authority.getBasicConstraints() < 0) {
            throw new IllegalStateException("the certificate " + authority.getSubjectX500Principal().getName()
                    + " is not a CA's (no basicConstraints CA:TRUE), so peers would refuse what it issues");
        }
        try {
            KeyPair subject = newKeyPair();
            X509Certificate issued = issue(host, subject, new KeyPair(authority.getPublicKey(), ca.privateKey()), authority, false);
            issued.verify(authority.getPublicKey()); // a key that is not the CA's signs what no peer accepts
            return new Identity(List.of(issued, authority), subject.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("could not issue a certificate for " + host + " from the CA "
                    + authority.getSubjectX500Principal().getName() + ": " + e.getMessage(), e);
        }
    }

    /** A fresh P-256 key pair. */
    public static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return generator.generateKeyPair();
    }

    /**
     * Issues a certificate for {@code host} (a DNS name or IP literal), signed by {@code issuerKeys}
     * and {@code issuer} (null for self-signed). A CA certificate when {@code ca} is true.
     */
    public static X509Certificate issue(String host, KeyPair subjectKeys, KeyPair issuerKeys, X509Certificate issuer,
                                        boolean ca) throws GeneralSecurityException, OperatorCreationException, IOException {
        X500Name subject = new X500Name("CN=" + host.replace(",", ""));
        X500Name issuerName = issuer == null ? subject
                : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(ca ? 3650 : 825))),
                subject, subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (!ca) {
            GeneralName name = isIpLiteral(host)
                    ? new GeneralName(GeneralName.iPAddress, host)
                    : new GeneralName(GeneralName.dNSName, host);
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(name));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        }
        ContentSigner signer = new JcaContentSignerBuilder(signatureAlgorithm(issuerKeys.getPrivate()))
                .build(issuerKeys.getPrivate());
        X509CertificateHolder holder = builder.build(signer);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    /** How a key of this kind signs a certificate: a test network's CA may have any of the three. */
    private static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> "SHA256withECDSA";
        };
    }

    /** Whether a host is an IPv4 or IPv6 literal rather than a DNS name. */
    public static boolean isIpLiteral(String host) {
        return IPV4.matcher(host).matches() || host.contains(":");
    }

    /** Reads every certificate in a PEM file. */
    public static List<X509Certificate> readCertificates(Path pem) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> chain = new ArrayList<>();
        for (byte[] der : pemBlocks(Files.readString(pem, StandardCharsets.UTF_8), "CERTIFICATE")) {
            chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate found in " + pem);
        }
        return chain;
    }

    /**
     * A PKCS#8 key ({@code BEGIN PRIVATE KEY}, what we write) is read by the JDK; older forms (SEC1's
     * {@code BEGIN EC PRIVATE KEY}, PKCS#1's {@code BEGIN RSA PRIVATE KEY}) by BouncyCastle, whose PEM
     * classes, from a signed jar the start-up cache cannot hold, are then loaded only for them.
     */
    private static PrivateKey readPrivateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem, StandardCharsets.UTF_8);
        List<byte[]> pkcs8 = pemBlocks(text, "PRIVATE KEY");
        if (!pkcs8.isEmpty()) {
            PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pkcs8.get(0));
            for (String algorithm : KEY_ALGORITHMS) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(spec);
                } catch (InvalidKeySpecException notThisOne) {
                    // The next algorithm, until one reads it.
                }
            }
            throw new GeneralSecurityException("the PKCS#8 key in " + pem + " is not a readable EC, RSA or Ed25519 key");
        }
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object item;
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            while ((item = parser.readObject()) != null) {
                if (item instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (item instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
            }
        }
        throw new GeneralSecurityException("no private key found in " + pem);
    }

    private static final List<String> KEY_ALGORITHMS = List.of("EC", "RSA", "Ed25519", "RSASSA-PSS");

    /** The DER bytes of each {@code -----BEGIN <label>-----} block, in order; other blocks and text are skipped. */
    static List<byte[]> pemBlocks(String pem, String label) throws GeneralSecurityException {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        List<byte[]> blocks = new ArrayList<>();
        int from = pem.indexOf(begin);
        while (from >= 0) {
            int to = pem.indexOf(end, from);
            if (to < 0) {
                throw new GeneralSecurityException("a " + begin + " block has no " + end);
            }
            try {
                blocks.add(Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to)));
            } catch (IllegalArgumentException e) {
                throw new GeneralSecurityException("a " + label + " block is not Base64: " + e.getMessage());
            }
            from = pem.indexOf(begin, to);
        }
        return blocks;
    }

    /** Writes a certificate or key as PEM. */
    public static void writePem(Path file, Object object) throws IOException {
        Files.writeString(file, pem(object), StandardCharsets.UTF_8);
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }

    /**
     * Writes {@code text} to a new file beside {@code file} and renames it over {@code file}. The new
     * file is owner-only from its creation (what {@link Files#createTempFile} makes on POSIX), so no
     * other user can open a secret before it is restricted; a certificate is then opened to all.
     */
    private static void publish(Path file, String text, boolean secret) throws IOException {
        Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), ".tls-", ".tmp");
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            if (!secret) {
                try {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
                } catch (UnsupportedOperationException notPosix) {
                    // The data folder's own permissions apply.
                }
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
