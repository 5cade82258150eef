package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The listener's settings refuse what would otherwise be taken silently for something else. */
class TlsPropertiesTests {

    @Test
    void aCertificateWithoutItsKeyIsRefusedNotReplacedByASelfSignedOne() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new TlsProperties(true, 8448, Path.of("federation.crt"), null, null, null, TlsProperties.Engine.NATIVE, null, null))
                .withMessage("vestibule.tls.certificate is set without vestibule.tls.private-key: set both, or neither for a self-signed certificate");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new TlsProperties(true, 8448, null, Path.of("federation.key"), null, null, TlsProperties.Engine.NATIVE, null, null))
                .withMessageStartingWith("vestibule.tls.private-key is set without vestibule.tls.certificate");
    }

    @Test
    void aCaIsGivenWholeAndNotBesideACertificate() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new TlsProperties(true, 8448, null, null, null, null, TlsProperties.Engine.NATIVE,
                        Path.of("ca.crt"), null))
                .withMessage("vestibule.tls.issuer-certificate is set without vestibule.tls.issuer-key: the CA needs both");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new TlsProperties(true, 8448, Path.of("a.crt"), Path.of("a.key"), null, null,
                        TlsProperties.Engine.NATIVE, Path.of("ca.crt"), Path.of("ca.key")))
                .withMessageStartingWith("vestibule.tls.certificate and vestibule.tls.issuer-certificate are both set");
    }

    @Test
    void bothOrNeitherAreTaken() {
        assertThat(new TlsProperties(true, 8448, null, null, null, null, TlsProperties.Engine.NATIVE, null, null).certificate()).isNull();
        assertThat(new TlsProperties(true, 8448, Path.of("a.crt"), Path.of("a.key"), null, null, TlsProperties.Engine.JDK, null, null)
                .privateKey()).isEqualTo(Path.of("a.key"));
    }
}
