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
 * @param privateKey  PEM private key (PKCS#8 or traditional) matching the certificate
 */
@ConfigurationProperties("vestibule.tls")
public record TlsProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("8448") int port,
        Path certificate,
        Path privateKey) {
}
