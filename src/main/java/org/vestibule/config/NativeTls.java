package org.vestibule.config;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.KeyManagerFactoryWrapper;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509KeyManager;
import org.apache.tomcat.util.net.SSLContext;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;
import org.apache.tomcat.util.net.SSLUtil;
import org.apache.tomcat.util.net.jsse.JSSEImplementation;
import org.apache.tomcat.util.net.jsse.JSSEUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tomcat's TLS done by BoringSSL, through the engine of Netty's tcnative: the JDK's ciphers run as
 * plain Java until C2 has compiled them, which {@code bin/vestibule}'s C1-only JVM never does, and
 * a send_join answer is hundreds of kilobytes. Everything but the engine stays Tomcat's JSSE code:
 * the key store, the protocol and cipher lists, and the session's attributes for requests.
 * Tomcat makes this class by name ({@code sslImplementationName}).
 */
public final class NativeTls extends JSSEImplementation {

    /** The key exchanges offered, in Tomcat's names: the post-quantum hybrid first, as BoringSSL's own default. */
    static final String GROUPS = "X25519MLKEM768,x25519,secp256r1,secp384r1";

    /**
     * Tomcat's read buffer, in bytes. BoringSSL's engine decrypts only into room for a whole record's
     * ciphertext (16,384 + up to 2,048), where the JDK's needs its plaintext alone; sized by the 16,384
     * the session reports, Tomcat's buffers were too small for every full record, and its request-header
     * buffer, grown on that overflow, lost what it held (a request over 16 KB became zeros).
     */
    static final int READ_BUFFER = 16_384 + 2_048;

    private static final Logger log = LoggerFactory.getLogger(NativeTls.class);

    private static boolean available() {
        return OpenSsl.isAvailable();
    }

    private static String unavailability() {
        Throwable cause = OpenSsl.unavailabilityCause();
        return cause == null ? "unknown" : cause.toString();
    }

    @Override
    public SSLUtil getSSLUtil(SSLHostConfigCertificate certificate) {
        return new Util(certificate);
    }

    private static final class Util extends JSSEUtil {

        private final String alias;

        Util(SSLHostConfigCertificate certificate) {
            super(certificate);
            this.alias = certificate.getCertificateKeyAlias();
        }

        @Override
        public SSLContext createSSLContextInternal(List<String> negotiableProtocols) throws NoSuchAlgorithmException {
            return new Context(alias, super.createSSLContextInternal(negotiableProtocols), NativeTls::available);
        }
    }

    /**
     * One certificate's engines. BoringSSL is loaded at the first connection, not at start: the
     * library and its context cost ~0.2 s and ~6 MB, which a server that is never federated with
     * need not pay. Where it does not load, the JDK's TLS serves, with the same key.
     */
    static final class Context implements SSLContext {

        private final String alias;
        private final SSLContext jdk;
        private final BooleanSupplier boringSslLoads;
        private KeyManager[] keyManagers;
        private TrustManager[] trustManagers;
        private X509Certificate[] chain = new X509Certificate[0];
        private volatile Engines engines;

        Context(String alias, SSLContext jdk, BooleanSupplier boringSslLoads) {
            this.alias = alias;
            this.jdk = jdk;
            this.boringSslLoads = boringSslLoads;
        }

        @Override
        public void init(KeyManager[] keyManagers, TrustManager[] trustManagers, SecureRandom random)
                throws KeyManagementException {
            X509KeyManager keys = keyManager(keyManagers)
                    .orElseThrow(() -> new KeyManagementException("no X.509 key manager for the TLS certificate"));
            X509Certificate[] certificates = keys.getCertificateChain(alias);
            if (certificates == null || certificates.length == 0) {
                throw new KeyManagementException("no certificate under the alias " + alias);
            }
            this.keyManagers = keyManagers;
            this.trustManagers = trustManagers;
            this.chain = certificates;
        }

        private Engines engines() {
            Engines made = engines;
            if (made == null) {
                synchronized (this) {
                    made = engines;
                    if (made == null) {
                        made = boringSslLoads.getAsBoolean() ? boringSsl() : jdk(unavailability());
                        engines = made;
                    }
                }
            }
            return made;
        }

        private Engines boringSsl() {
            try {
                // Tomcat's key manager as it is: handing Netty the key would have it build a PKCS#12
                // store (PBKDF2 both ways, ~0.3 s under C1). The caching factory converts the key for
                // BoringSSL once. The finalizing engine (OPENSSL, not OPENSSL_REFCNT) because Tomcat
                // never releases engines.
                X509KeyManager keys = keyManager(keyManagers).orElseThrow();
                SslContext context = SslContextBuilder
                        .forServer(new OpenSslCachingX509KeyManagerFactory(new KeyManagerFactoryWrapper(keys)))
                        .sslProvider(SslProvider.OPENSSL)
                        .build();
                log.info("Federation TLS in {}", OpenSsl.versionString());
                return new Engines(() -> context.newEngine(UnpooledByteBufAllocator.DEFAULT), context.sessionContext());
            } catch (SSLException | RuntimeException e) {
                return jdk(e.toString());
            }
        }

        private Engines jdk(String why) {
            log.warn("Federation TLS in the JDK: BoringSSL does not load here ({})", why);
            try {
                jdk.init(keyManagers, trustManagers, null);
                return new Engines(jdk::createSSLEngine, jdk.getServerSessionContext());
            } catch (KeyManagementException e) {
                throw new IllegalStateException("the JDK's TLS refused the certificate: " + e.getMessage(), e);
            }
        }

        private static Optional<X509KeyManager> keyManager(KeyManager[] keyManagers) {
            for (KeyManager manager : keyManagers == null ? new KeyManager[0] : keyManagers) {
                if (manager instanceof X509KeyManager x509) {
                    return Optional.of(x509);
                }
            }
            return Optional.empty();
        }

        @Override
        public void destroy() {
            engines = null;
            jdk.destroy();
        }

        @Override
        public SSLSessionContext getServerSessionContext() {
            // Asked once, right after init: null leaves the library's session cache as it is,
            // rather than loading the library to configure it.
            Engines made = engines;
            return made == null ? null : made.sessions();
        }

        @Override
        public SSLEngine createSSLEngine() {
            return engines().create().get();
        }

        @Override
        public SSLServerSocketFactory getServerSocketFactory() {
            throw new UnsupportedOperationException("the federation listener serves engines, not sockets");
        }

        @Override
        public SSLParameters getSupportedSSLParameters() {
            SSLEngine engine = createSSLEngine();
            return new SSLParameters(engine.getSupportedCipherSuites(), engine.getSupportedProtocols());
        }

        @Override
        public X509Certificate[] getCertificateChain(String name) {
            return chain.clone();
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** Where engines come from, and their sessions. */
    private record Engines(Supplier<SSLEngine> create, SSLSessionContext sessions) {}
}
