package org.vestibule.config;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.apache.catalina.connector.Connector;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;
import org.apache.tomcat.util.net.openssl.ciphers.OpenSSLCipherConfigurationParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Opens the HTTPS federation listener (8448 by default) beside the plain HTTP one, unless
 * {@code vestibule.tls.enabled=false}: checked here rather than by a bean condition, which a build
 * processed ahead of time would fix at build time.
 */
@Configuration(proxyBeanMethods = false)
class FederationListenerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(FederationListenerConfiguration.class);

    static {
        // Tomcat fills its OpenSSL cipher table lazily and not thread-safely; several servers
        // starting at once in one JVM (tests, embedding) could fail with UnsupportedOperationException.
        synchronized (SSLHostConfig.class) {
            OpenSSLCipherConfigurationParser.parse("HIGH");
        }
    }

    /** The configured certificate, one issued from the configured CA, or the kept self-signed one. */
    private static TlsCertificates.Identity identity(VestibuleProperties vestibule, TlsProperties tls) {
        if (tls.certificate() != null) {
            TlsCertificates.Identity identity = orStop(() -> TlsCertificates.load(tls.certificate(), tls.privateKey()),
                    check("vestibule.tls.certificate (" + tls.certificate() + ") and vestibule.tls.private-key (" + tls.privateKey() + ")"));
            log.info("Federation TLS uses the configured certificate {}", tls.certificate());
            return identity;
        }
        if (tls.issuerCertificate() != null) {
            TlsCertificates.Identity identity = orStop(() -> TlsCertificates.issueFrom(
                            TlsCertificates.load(tls.issuerCertificate(), tls.issuerKey()), vestibule.serverHost()),
                    check("vestibule.tls.issuer-certificate (" + tls.issuerCertificate() + ") and vestibule.tls.issuer-key ("
                            + tls.issuerKey() + "), the CA's certificate and key"));
            log.info("Federation TLS uses a certificate for {} issued at start by the CA {} ({})", vestibule.serverHost(),
                    tls.issuerCertificate(), identity.chain().get(1).getSubjectX500Principal().getName());
            return identity;
        }
        Path kept = vestibule.dataDir().resolve("tls");
        TlsCertificates.Identity identity = orStop(() -> TlsCertificates.loadOrCreateSelfSigned(kept, vestibule.serverHost()),
                "The self-signed certificate is kept in " + kept.resolve("federation.crt") + " and " + kept.resolve("federation.key")
                        + ": check that " + kept + " can be written, or delete both files to have them made anew,"
                        + " or give vestibule.tls.certificate and vestibule.tls.private-key. " + WITHOUT_TLS);
        log.info("Federation TLS uses a self-signed certificate for {} kept in {}", vestibule.serverHost(), kept);
        return identity;
    }

    private static final String WITHOUT_TLS = "Or set vestibule.tls.enabled=false to run without the HTTPS federation listener.";

    private static String check(String settings) {
        return "Check " + settings + ": each must name a readable PEM file (a certificate, or a PKCS#8 or traditional"
                + " private key). " + WITHOUT_TLS;
    }

    private static TlsCertificates.Identity orStop(Supplier<TlsCertificates.Identity> make, String action) {
        try {
            return make.get();
        } catch (IllegalStateException e) {
            throw new TlsFilesUnusable(e.getMessage(), action, e);
        }
    }

    @Bean
    FederationListener federationListener(VestibuleProperties vestibule, TlsProperties tls) {
        if (!tls.enabled()) {
            return new FederationListener(null);
        }
        TlsCertificates.Identity identity = identity(vestibule, tls);
        char[] password = "vestibule".toCharArray();
        Connector connector = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
        connector.setPort(tls.port());
        connector.setScheme("https");
        connector.setSecure(true);
        connector.setProperty("SSLEnabled", "true");
        WebServerConfiguration.tuneForFederation(connector);
        connector.setProperty("maxThreads", Integer.toString(tls.workerThreads()));
        connector.setProperty("maxConnections", Integer.toString(tls.maxConnections() != null ? tls.maxConnections()
                : ConnectionLimits.forThisHeap().https()));
        boolean boringSsl = tls.engine() == TlsProperties.Engine.NATIVE;
        if (boringSsl) {
            connector.setProperty("sslImplementationName", NativeTls.class.getName());
            connector.setProperty("socket.appReadBufSize", Integer.toString(NativeTls.READ_BUFFER));
        }
        SSLHostConfig ssl = new SSLHostConfig();
        ssl.setHostName("_default_");
        ssl.setProtocols("TLSv1.2+TLSv1.3");
        ssl.setCipherSuites(String.join(",", TlsCipherSuites.tls13()));
        ssl.setCiphers(String.join(",", TlsCipherSuites.tls12()));
        ssl.setHonorCipherOrder(true);
        if (boringSsl) {
            // Tomcat otherwise offers every group it knows (x448, ffdhe…), and BoringSSL refuses the list.
            ssl.setGroups(NativeTls.GROUPS);
        }
        SSLHostConfigCertificate certificate = new SSLHostConfigCertificate(ssl, SSLHostConfigCertificate.Type.UNDEFINED);
        certificate.setCertificateKeystore(identity.keyStore(password));
        certificate.setCertificateKeystorePassword(new String(password));
        certificate.setCertificateKeyAlias("vestibule");
        ssl.addCertificate(certificate);
        connector.addSslHostConfig(ssl);
        return new FederationListener(connector);
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> federationConnector(FederationListener listener) {
        return factory -> {
            if (listener.connector() != null) {
                factory.addAdditionalConnectors(listener.connector());
            }
        };
    }
}
