package org.vestibule.config;

import org.apache.catalina.connector.Connector;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Settings of the plain HTTP connector that the HTTPS one shares. */
@Configuration(proxyBeanMethods = false)
class WebServerConfiguration {

    /**
     * Both connectors: room versions 1–3 have event IDs with '/' in them, sent as %2F in paths; Tomcat refuses
     * those with a bare 400 unless told to pass them through.
     */
    static void tuneForFederation(Connector connector) {
        connector.setEncodedSolidusHandling("passthrough");
        // Peers keep one connection open for many requests; Tomcat's default closes it after 100,
        // and each new TLS handshake costs more than the request.
        connector.setProperty("maxKeepAliveRequests", "-1");
        // Every Matrix body is JSON, whatever its Content-Type: Tomcat must never decode a POST body
        // as form parameters (curl -d sends application/x-www-form-urlencoded). See JsonRequestBodies.
        connector.setParseBodyMethods("");
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> encodedSlashes() {
        return factory -> factory.addConnectorCustomizers(WebServerConfiguration::tuneForFederation);
    }
}
