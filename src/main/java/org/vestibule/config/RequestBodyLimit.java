package org.vestibule.config;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;
import org.vestibule.error.JsonBody;

/**
 * Every body but federation's and media uploads' is read at most to {@link JsonBody#MAX_BYTES}, the
 * most any client endpoint parses. Federation requests have their own limit
 * ({@code vestibule.federation.max-request-body}, in the same budget), and media uploads go to disk
 * within {@code vestibule.media.max-upload-size}.
 */
@Configuration(proxyBeanMethods = false)
class RequestBodyLimit {

    @Bean
    static FilterRegistrationBean<OncePerRequestFilter> requestBodyLimitFilter(RequestBodies bodies) {
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                if (limited(request)) {
                    bodies.limit(request, response, chain, JsonBody.MAX_BYTES);
                } else {
                    chain.doFilter(request, response);
                }
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("requestBodyLimit");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    static boolean limited(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/_matrix/federation/") && !JsonRequestBodies.isMedia(request);
    }
}
