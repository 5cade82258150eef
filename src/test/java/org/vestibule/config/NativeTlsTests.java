package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyManagementException;
import java.security.KeyStore;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;
import org.apache.tomcat.util.net.SSLContext;
import org.apache.tomcat.util.net.SSLUtil;
import org.junit.jupiter.api.Test;
import org.vestibule.support.TestCertificates;

/**
 * The federation listener's engines: BoringSSL's where it loads, the JDK's with the same key where
 * it does not; each completes a handshake with a JDK client and carries bytes both ways.
 */
class NativeTlsTests {

    static final char[] PASSWORD = "test".toCharArray();

    static final TlsCertificates.Identity IDENTITY = TestCertificates.issue("localhost");

    static KeyManager[] keyManagers() throws Exception {
        KeyStore store = IDENTITY.keyStore(PASSWORD);
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, PASSWORD);
        return factory.getKeyManagers();
    }

    static SSLContext context(boolean boringSslLoads) throws Exception {
        KeyManager[] keys = keyManagers();
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init((KeyStore) null);
        SSLContext jdk = SSLUtil.createSSLContext(TestCertificates.serverContext(IDENTITY), (X509KeyManager) keys[0],
                (X509TrustManager) trust.getTrustManagers()[0]);
        SSLContext context = new NativeTls.Context("vestibule", jdk, () -> boringSslLoads);
        context.init(keys, null, null);
        return context;
    }

    @Test
    void boringSslWhereItLoads() throws Exception {
        SSLContext context = context(true);
        assertThat(context.getServerSessionContext()).as("not made before the first connection").isNull();
        SSLEngine server = context.createSSLEngine();
        assertThat(server.getClass().getName()).startsWith("io.netty.handler.ssl.");
        assertThat(exchange(server)).isEqualTo("pong");
        assertThat(context.getServerSessionContext()).isNotNull();
        assertThat(context.getCertificateChain("vestibule")).containsExactlyElementsOf(IDENTITY.chain());
    }

    @Test
    void theJdksWhereItDoesNot() throws Exception {
        SSLContext context = context(false);
        SSLEngine server = context.createSSLEngine();
        assertThat(server.getClass().getName()).doesNotContain("netty");
        assertThat(exchange(server)).isEqualTo("pong");
        assertThat(context.getServerSessionContext()).isNotNull();
    }

    @Test
    void aKeyStoreWithoutTheAliasIsRefusedAtStart() throws Exception {
        SSLContext context = new NativeTls.Context("elsewhere", null, () -> true);
        assertThatThrownBy(() -> context.init(keyManagers(), null, null))
                .isInstanceOf(KeyManagementException.class).hasMessageContaining("elsewhere");
        assertThatThrownBy(() -> context.init(new KeyManager[0], null, null))
                .isInstanceOf(KeyManagementException.class).hasMessageContaining("key manager");
    }

    /** A handshake with a JDK client in memory, then "ping" one way and "pong" the other. */
    static String exchange(SSLEngine server) throws SSLException {
        server.setUseClientMode(false);
        SSLEngine client = TestCertificates.clientContext().createSSLEngine("localhost", 8448);
        client.setUseClientMode(true);
        int size = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        ByteBuffer toServer = ByteBuffer.allocate(size * 4);
        ByteBuffer toClient = ByteBuffer.allocate(size * 4);
        ByteBuffer empty = ByteBuffer.allocate(0);
        ByteBuffer sink = ByteBuffer.allocate(size * 4);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 100 && !(done(client) && done(server)); round++) {
            step(client, empty, toServer, toClient, sink);
            step(server, empty, toClient, toServer, sink);
        }
        assertThat(done(client) && done(server)).as("handshake finished").isTrue();
        deliver(client, "ping", toServer);
        assertThat(receive(server, toServer, sink)).isEqualTo("ping");
        deliver(server, "pong", toClient);
        return receive(client, toClient, sink);
    }

    static boolean done(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
    }

    /** One move of an engine: run its tasks, read what the other side sent, send what it has. */
    static void step(SSLEngine engine, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer sink) throws SSLException {
        for (int i = 0; i < 8; i++) {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
                task.run();
            }
            HandshakeStatus status = engine.getHandshakeStatus();
            if (status == HandshakeStatus.NEED_WRAP) {
                engine.wrap(empty, out);
            } else if (status == HandshakeStatus.NEED_UNWRAP || status == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                in.flip();
                engine.unwrap(in, sink);
                in.compact();
                if (engine.getHandshakeStatus() == status && in.position() == 0) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    static void deliver(SSLEngine from, String text, ByteBuffer wire) throws SSLException {
        from.wrap(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), wire);
    }

    static String receive(SSLEngine to, ByteBuffer wire, ByteBuffer sink) throws SSLException {
        sink.clear();
        wire.flip();
        while (wire.hasRemaining() && sink.position() == 0) {
            to.unwrap(wire, sink);
        }
        wire.compact();
        sink.flip();
        return StandardCharsets.UTF_8.decode(sink).toString();
    }
}
