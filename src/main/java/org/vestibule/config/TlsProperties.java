package org.vestibule.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The HTTPS federation listener.
 *
 * @param enabled     whether to open the HTTPS listener at all
 * @param port        its port (8448 is the federation default; 0 picks a free one)
 * @param certificate PEM certificate chain; when unset, a self-signed certificate for the server
 *                    name is generated once and kept under the data folder
 * @param privateKey  PEM private key (PKCS#8 or traditional) matching the certificate; one of the
 *                    two without the other is refused at start
 * @param maxThreads  request threads of the listener's own, Tomcat's. Unset, the listener keeps 4
 *                    per core (at least 8) and starts more while more requests are in progress (one
 *                    that waits for a slow body or a peer's slow key server holds its thread), up to
 *                    the bound both listeners share (server.tomcat.threads.max; FederationThreads).
 *                    Set, it has exactly so many, and requests past them wait for one
 * @param maxConnections connections the listener keeps open at once; unset: as many as fit in an
 *                    eighth of the heap (ConnectionLimits: 440 with a 256 MB heap), 256 to 8,192
 * @param engine      who encrypts: {@code native}, BoringSSL where its bundled library loads (Linux,
 *                    macOS, Windows on x86-64 and ARM64), else the JDK; or {@code jdk}, always the JDK
 * @param issuerCertificate PEM certificate of a test network's CA (Complement mounts its own at
 *                    /complement/ca/ca.crt): with {@code issuerKey}, and no {@code certificate}, the
 *                    listener's certificate is issued from it at each start for the server name's
 *                    host, in memory only, so that peers trusting that CA check ours as any other
 * @param issuerKey   that CA's PEM private key (EC, RSA or Ed25519)
 */
@ConfigurationProperties("vestibule.tls")
public record TlsProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("8448") int port,
        Path certificate,
        Path privateKey,
        Integer maxThreads,
        Integer maxConnections,
        @DefaultValue("native") Engine engine,
        Path issuerCertificate,
        Path issuerKey) {

    /** Who does the listener's TLS. */
    public enum Engine { NATIVE, JDK }

    public TlsProperties {
        if ((certificate == null) != (privateKey == null)) {
            // One without the other would otherwise fall back to a self-signed certificate unnoticed.
            throw new IllegalArgumentException(certificate == null
                    ? "vestibule.tls.private-key is set without vestibule.tls.certificate: set both, or neither for a self-signed certificate"
                    : "vestibule.tls.certificate is set without vestibule.tls.private-key: set both, or neither for a self-signed certificate");
        }
        if ((issuerCertificate == null) != (issuerKey == null)) {
            throw new IllegalArgumentException(issuerCertificate == null
                    ? "vestibule.tls.issuer-key is set without vestibule.tls.issuer-certificate: the CA needs both"
                    : "vestibule.tls.issuer-certificate is set without vestibule.tls.issuer-key: the CA needs both");
        }
        if (certificate != null && issuerCertificate != null) {
            throw new IllegalArgumentException("vestibule.tls.certificate and vestibule.tls.issuer-certificate are both set:"
                    + " give the certificate to serve, or the CA to issue one from, not both");
        }
        if (maxThreads != null && maxThreads < 1) {
            throw new IllegalArgumentException("vestibule.tls.max-threads must be at least 1, not " + maxThreads);
        }
        if (maxConnections != null && maxConnections < 1) {
            throw new IllegalArgumentException("vestibule.tls.max-connections must be at least 1, not " + maxConnections);
        }
    }

    /** The configured thread count, else 4 per core and at least 8: the threads kept while idle. */
    public int workerThreads() {
        return maxThreads != null ? maxThreads : Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    }
}
