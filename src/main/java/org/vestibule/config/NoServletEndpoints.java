package org.vestibule.config;

import java.util.List;
import org.springframework.boot.actuate.endpoint.web.annotation.ServletEndpointsSupplier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The actuator's servlet endpoints (a kind Spring Boot deprecates) are none here: health, info and
 * prometheus are web endpoints. Without this, Boot looked for {@code @ServletEndpoint} on every bean
 * at every start, ~80 ms of the main thread reading annotations; with it, that discoverer is not made.
 */
@Configuration(proxyBeanMethods = false)
class NoServletEndpoints {

    @Bean
    @SuppressWarnings("removal")
    ServletEndpointsSupplier servletEndpoints() {
        return List::of;
    }
}
