package org.vestibule.config;

import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.boot.jackson.JacksonComponent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * No class here is a {@link JacksonComponent}: our JSON goes through maps and records. Boot's module
 * that gathers them read the annotations of every bean while the first request's JSON mapper was
 * made, ~30 ms that the server's first answer waited; its definition is removed before it is made.
 */
@Configuration(proxyBeanMethods = false)
class NoJacksonComponents {

    static final String MODULE = "jsonComponentModule";

    @Bean
    static BeanDefinitionRegistryPostProcessor noJacksonComponentModule() {
        return registry -> {
            if (registry.containsBeanDefinition(MODULE)) {
                registry.removeBeanDefinition(MODULE);
            }
        };
    }
}
