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
     * Room versions 1–3 have event IDs with '/' in them, sent as %2F in paths; Tomcat refuses
     * those with a bare 400 unless told to pass them through.
     */
    static void allowEncodedSlashes(Connector connector) {
        connector.setEncodedSolidusHandling("passthrough");
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> encodedSlashes() {
        return factory -> factory.addConnectorCustomizers(WebServerConfiguration::allowEncodedSlashes);
    }
}
