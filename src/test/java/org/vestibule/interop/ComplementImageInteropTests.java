package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.vestibule.support.Eventually.eventually;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.TestMethodOrder;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.FakeDnsServer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestNames;

/**
 * Vestibule's Complement image ({@code interop/complement}) run as Complement runs its images: each
 * homeserver a container on one Docker network, reached by the others under its name (a network
 * alias), given that name in {@code SERVER_NAME} and a CA made as Complement makes its own (RSA 4096,
 * the key in PKCS#1) copied to {@code /complement/ca} before it starts; ready when its
 * {@code HEALTHCHECK} is healthy and {@code /_matrix/client/versions} answers 200 on the published
 * port; and a blueprint: a container committed to an image, removed, and made again from that image.
 * {@code interop/complement/run} builds the image and names it in {@code VESTIBULE_COMPLEMENT_IMAGE};
 * without it these are skipped.
 */
@TestInstance(Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class ComplementImageInteropTests {

    static final String IMAGE_VARIABLE = "VESTIBULE_COMPLEMENT_IMAGE";
    private static final String SHARED_SECRET = "complement";

    private final String run = TestNames.unique("complement").toLowerCase().replaceAll("[^a-z0-9]", "");
    private final List<String> containers = new ArrayList<>();
    private final List<String> images = new ArrayList<>();
    private String image;
    private String network;
    private Path ca;
    private X509Certificate caCertificate;
    private Homeserver hs1;
    private Homeserver hs2;

    /** One homeserver's container, and its client API on the host's published port. */
    record Homeserver(String name, String container, String clientUrl, int federationPort, Duration ready) {
        MatrixClient client() {
            return new MatrixClient(clientUrl);
        }

        Member user(String name) {
            MatrixClient client = client();
            return new Member(client, client.register(TestNames.unique(name)), this.name);
        }
    }

    @BeforeAll
    void startTwoHomeservers() throws Exception {
        image = System.getenv(IMAGE_VARIABLE);
        assumeTrue(image != null && !image.isBlank(), "No Complement image to test: " + IMAGE_VARIABLE
                + " is not set. Run interop/complement/run, which builds it and sets it.");
        ca = Files.createTempDirectory("complement-ca");
        caCertificate = complementCa(ca);
        network = run;
        docker("network", "create", network);
        hs1 = deploy(image, "hs1");
        hs2 = deploy(image, "hs2");
        System.out.printf("Complement image %s: hs1 ready %d ms after docker start, hs2 %d ms%n",
                image, hs1.ready().toMillis(), hs2.ready().toMillis());
    }

    @AfterAll
    void removeEverything() {
        if (image == null || image.isBlank()) {
            return;
        }
        for (String container : containers) {
            quietly("rm", "-f", "-v", container);
        }
        for (String committed : images) {
            quietly("rmi", "-f", committed);
        }
        if (network != null) {
            quietly("network", "rm", network);
        }
    }

    @Test
    @Order(1)
    void eachServerIsNamedBySERVER_NAMEAndPresentsACertificateFromComplementsCa() throws Exception {
        for (Homeserver hs : List.of(hs1, hs2)) {
            assertThat(docker("inspect", "-f", "{{.State.Health.Status}}", hs.container())).isEqualTo("healthy");
            Response key = hs.client().get("/_matrix/key/v2/server", null).expect(200);
            assertThat(key.string("server_name")).isEqualTo(hs.name());

            X509Certificate presented = federationCertificate(hs);
            assertThat(presented.getSubjectAlternativeNames()).as("%s's certificate names", hs.name())
                    .anySatisfy(name -> assertThat(name.get(1)).isEqualTo(hs.name()));
        }
    }

    @Test
    @Order(2)
    void complementsSharedSecretRegistersAnAdmin() throws Exception {
        MatrixClient client = hs1.client();
        String username = TestNames.unique("admin").toLowerCase();
        String nonce = client.get("/_synapse/admin/v1/register", null).expect(200).string("nonce");
        String password = "pw-" + username;
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(SHARED_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        String signed = nonce + "\0" + username + "\0" + password + "\0admin";
        Response registered = client.post("/_synapse/admin/v1/register", null, Map.of("nonce", nonce,
                "username", username, "password", password, "admin", true,
                "mac", HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8))))).expect(200);

        assertThat(registered.string("user_id")).isEqualTo("@" + username + ":hs1");
        assertThat(client.get("/_matrix/client/v3/account/whoami", registered.string("access_token"))
                .expect(200).string("user_id")).isEqualTo("@" + username + ":hs1");
    }

    @Test
    @Order(3)
    void aUserOfOneServerJoinsARoomOfTheOtherOverTheNetwork() {
        joinsAndTalks(hs1.user("alice"), hs2.user("bob"), 10, "hs1");
    }

    /**
     * Complement's own test servers run on the host, named {@code host.docker.internal:PORT}, with
     * certificates from its CA, and reach each container at its published port. A Vestibule plays one
     * here: a DNS server of the test's gives it {@code hs1} and {@code hs2} at their published ports.
     */
    @Test
    @Order(4)
    void serversOnTheHostAsComplementsOwnJoinAndAreJoined() {
        try (FakeDnsServer dns = FakeDnsServer.start()) {
            for (Homeserver hs : List.of(hs1, hs2)) {
                dns.a(hs.name(), "127.0.0.1").srv("_matrix-fed._tcp." + hs.name(), 0, 0, hs.federationPort(), hs.name());
            }
            try (TestHomeservers host = TestHomeservers.start(1, index -> "host.docker.internal", index -> new String[] {
                    "--vestibule.tls.issuer-certificate=" + ca.resolve("ca.crt"),
                    "--vestibule.tls.issuer-key=" + ca.resolve("ca.key"),
                    "--vestibule.federation.tls.trusted-ca=" + ca.resolve("ca.crt"),
                    "--vestibule.federation.dns-server=" + dns.address()})) {
                TestHomeservers.Homeserver server = host.get(0);
                Member carol = Interop.vestibuleUser(server, "carol");
                Member alice = hs1.user("alice");
                Member bob = hs2.user("bob");

                joinsAndTalks(carol, alice, 10, server.serverName());
                joinsAndTalks(bob, carol, 11, "hs2");
            }
        }
    }

    @Test
    @Order(5)
    void aServerMadeAgainFromItsCommittedContainerGoesOnWhereItWas() throws Exception {
        Member alice = hs1.user("alice");
        Member bob = hs2.user("bob");
        String roomId = alice.createRoom(Interop.publicRoom(12));
        bob.joins(roomId, "hs1");
        alice.send(roomId, "before the blueprint " + run);
        bob.seesMessage(roomId, "before the blueprint " + run);

        // As Complement makes a blueprint: commit the running container (docker pauses it), remove it,
        // and start a new one from the image under the same name.
        String blueprint = run + "-hs1";
        docker("commit", hs1.container(), blueprint);
        images.add(blueprint);
        docker("rm", "-f", hs1.container());
        hs1 = deploy(blueprint, "hs1");
        System.out.printf("hs1 from its blueprint: ready %d ms after docker start%n", hs1.ready().toMillis());

        Member aliceAgain = new Member(hs1.client(), alice.user(), "hs1");
        assertThat(hs1.client().get("/_matrix/client/v3/account/whoami", alice.user().accessToken())
                .expect(200).string("user_id")).isEqualTo(alice.id());
        assertThat(aliceAgain.messages(roomId)).contains("before the blueprint " + run);
        Interop.exchange(roomId, aliceAgain, bob);
    }

    /** The resident's new public room joined by the joiner through {@code via}, then messages and state both ways. */
    private static void joinsAndTalks(Member resident, Member joiner, int version, String via) {
        String roomId = resident.createRoom(Interop.publicRoom(version));
        joiner.joins(roomId, via);
        resident.seesMembership(roomId, joiner.id(), "join");
        Interop.exchange(roomId, resident, joiner);
    }

    /** Creates, fills and starts a container as Complement's deployer does, and waits until it is ready. */
    private Homeserver deploy(String fromImage, String name) throws Exception {
        String container = run + "-" + name + "-" + containers.size();
        docker("create", "--name", container, "--cap-add", "NET_ADMIN", "--publish-all",
                "--add-host", "host.docker.internal:host-gateway", "--network", network, "--network-alias", name,
                "--label", "complement_hs_name=" + name, "-e", "SERVER_NAME=" + name, fromImage);
        containers.add(container);
        docker("cp", ca.resolve("ca.crt").toString(), container + ":/complement/ca/ca.crt");
        docker("cp", ca.resolve("ca.key").toString(), container + ":/complement/ca/ca.key");
        Instant started = Instant.now();
        docker("start", container);
        String clientUrl = "http://127.0.0.1:" + publishedPort(container, 8008);
        int federationPort = publishedPort(container, 8448);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest versions = HttpRequest.newBuilder(URI.create(clientUrl + "/_matrix/client/versions"))
                .timeout(Duration.ofSeconds(5)).build();
        Duration ready = eventuallyOrLogs(container, "versions", () -> {
            try {
                return http.send(versions, HttpResponse.BodyHandlers.discarding()).statusCode() == 200
                        ? Duration.between(started, Instant.now()) : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        });
        eventuallyOrLogs(container, "healthy",
                () -> "healthy".equals(docker("inspect", "-f", "{{.State.Health.Status}}", container)) ? true : null);
        return new Homeserver(name, container, clientUrl, federationPort, ready);
    }

    private <T> T eventuallyOrLogs(String container, String what, Supplier<T> probe) {
        try {
            return eventually(container + " " + what, () -> {
                if (!"running".equals(docker("inspect", "-f", "{{.State.Status}}", container))) {
                    throw new AssertionError(container + " stopped before it was ready:\n" + logs(container));
                }
                return probe.get();
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + logs(container), e);
        }
    }

    private String logs(String container) {
        return quietly("logs", "--tail", "60", container);
    }

    private int publishedPort(String container, int port) {
        String mapping = docker("port", container, port + "/tcp").lines().findFirst().orElseThrow();
        return Integer.parseInt(mapping.substring(mapping.lastIndexOf(':') + 1));
    }

    /** The certificate the server presents on its federation port to a peer asking for its name. */
    private X509Certificate federationCertificate(Homeserver hs) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("complement", caCertificate);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", hs.federationPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(hs.name())));
            socket.setSSLParameters(parameters);
            socket.startHandshake(); // fails unless the chain ends at Complement's CA
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /** A CA as Complement makes its own: RSA 4096, CA and server-auth usages, the key in PKCS#1 PEM. */
    private static X509Certificate complementCa(Path dir) throws GeneralSecurityException, IOException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(4096);
        KeyPair keys = generator.generateKeyPair();
        X500Name subject = new X500Name("CN=Complement Test CA,O=matrix.org,L=London,ST=London,C=GB");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, new SecureRandom()), Date.from(now),
                Date.from(now.plus(Duration.ofDays(3650))), subject, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.keyCertSign | KeyUsage.digitalSignature | KeyUsage.cRLSign));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        X509Certificate certificate;
        try {
            certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
        Files.writeString(dir.resolve("ca.crt"), pem(certificate));
        Files.writeString(dir.resolve("ca.key"), pem(keys.getPrivate()));
        assertThat(Files.readString(dir.resolve("ca.key"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        return certificate;
    }

    private static String pem(Object item) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(item);
        }
        return out.toString();
    }

    /** Runs the Docker client; its output, or an assertion error with what it said. */
    private static String docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new AssertionError("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String quietly(String... args) {
        try {
            return docker(args);
        } catch (AssertionError e) {
            return e.getMessage();
        }
    }
}
