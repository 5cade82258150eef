package org.vestibule.federation.outbound;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.hc.core5.ssl.SSLContexts;
import org.apache.hc.core5.ssl.TrustStrategy;
import org.vestibule.config.TlsCertificates;

/** The certificates we accept from peers: the JDK's trusted CAs, plus any configured ones. */
final class TlsTrust {

    private TlsTrust() {}

    /** A context trusting the JDK's default CAs and those in {@code extraCaPem} (may be null). */
    static SSLContext verifying(Path extraCaPem) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            int n = 0;
            for (TrustManager tm : jdk.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    for (X509Certificate ca : x509.getAcceptedIssuers()) {
                        store.setCertificateEntry("jdk-" + n++, ca);
                    }
                }
            }
            if (extraCaPem != null) {
                for (X509Certificate ca : TlsCertificates.readCertificates(extraCaPem)) {
                    store.setCertificateEntry("configured-" + n++, ca);
                }
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("could not set up federation TLS trust"
                    + (extraCaPem == null ? "" : " with the CAs in " + extraCaPem) + ": " + e.getMessage(), e);
        }
    }

    /** A context that accepts any certificate, for test networks only. */
    static SSLContext trustingEverything() {
        try {
            TrustStrategy all = (chain, authType) -> true;
            return SSLContexts.custom().loadTrustMaterial(all).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
