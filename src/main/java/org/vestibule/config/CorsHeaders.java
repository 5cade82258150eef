package org.vestibule.config;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * CORS for web clients (client-server API, "Web Browser Clients"): every answer carries the spec's
 * recommended headers, and an {@code OPTIONS} request, a browser's preflight, is answered here with
 * them and an empty JSON object, before authentication, rate limits or any endpoint's logic, which
 * the spec forbids for {@code OPTIONS}. Without them a browser refuses every cross-origin answer,
 * so Element Web and any other client in a browser could not log in.
 */
@Configuration(proxyBeanMethods = false)
class CorsHeaders {

    static final String ALLOW_ORIGIN = "*";
    // The spec's list, with HEAD, which every GET endpoint also answers.
    static final String ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
    static final String ALLOW_HEADERS = "X-Requested-With, Content-Type, Authorization";
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> corsHeadersFilter() {
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                response.setHeader("Access-Control-Allow-Origin", ALLOW_ORIGIN);
                response.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS);
                response.setHeader("Access-Control-Allow-Headers", ALLOW_HEADERS);
                if ("OPTIONS".equals(request.getMethod())) {
                    response.setStatus(HttpServletResponse.SC_OK);
                    response.setContentType("application/json");
                    response.setContentLength(EMPTY_OBJECT.length);
                    response.getOutputStream().write(EMPTY_OBJECT);
                    return;
                }
                chain.doFilter(request, response);
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("corsHeaders");
        // Before the body limits and the federation body cache: a preflight reads no body and checks nothing.
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
        return registration;
    }
}
