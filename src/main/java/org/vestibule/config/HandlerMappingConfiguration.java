package org.vestibule.config;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Spring MVC's mapping of requests to controller methods, with a lookup that need not test them
 * all, and its adapter, which reads {@code @PathVariable String} arguments before Spring's resolvers.
 */
@Configuration(proxyBeanMethods = false)
class HandlerMappingConfiguration {

    @Bean
    WebMvcRegistrations indexedHandlerMapping() {
        return new WebMvcRegistrations() {
            @Override
            public RequestMappingHandlerMapping getRequestMappingHandlerMapping() {
                return new IndexedHandlerMapping();
            }

            @Override
            public RequestMappingHandlerAdapter getRequestMappingHandlerAdapter() {
                return new PathVariablesFirst();
            }
        };
    }

    /** Spring's adapter with {@link PathVariableStrings} ahead of its own argument resolvers. */
    static final class PathVariablesFirst extends RequestMappingHandlerAdapter {

        @Override
        public void afterPropertiesSet() {
            super.afterPropertiesSet();
            List<HandlerMethodArgumentResolver> resolvers = new ArrayList<>();
            resolvers.add(new PathVariableStrings());
            resolvers.addAll(getArgumentResolvers());
            setArgumentResolvers(resolvers);
        }
    }
}
