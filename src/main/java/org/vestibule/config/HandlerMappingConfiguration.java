package org.vestibule.config;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.annotation.RequestParamMethodArgumentResolver;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Spring MVC's mapping of requests to controller methods, with a lookup that need not test them
 * all, and its adapter, which reads {@code @PathVariable String}, {@code @RequestParam String} and
 * {@code @RequestParam List<String>} arguments before Spring's resolvers.
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

    /** Spring's adapter with {@link PathVariableStrings} and {@link QueryParameterStrings} ahead of its own resolvers. */
    static final class PathVariablesFirst extends RequestMappingHandlerAdapter {

        @Override
        public void afterPropertiesSet() {
            super.afterPropertiesSet();
            List<HandlerMethodArgumentResolver> resolvers = new ArrayList<>();
            resolvers.add(new PathVariableStrings());
            resolvers.add(new QueryParameterStrings(getArgumentResolvers().stream()
                    .filter(RequestParamMethodArgumentResolver.class::isInstance).findFirst().orElseThrow()));
            resolvers.addAll(getArgumentResolvers());
            setArgumentResolvers(resolvers);
        }
    }
}
