package org.vestibule.config;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Request bodies are read as JSON whatever their declared Content-Type, as Synapse reads them:
 * {@code curl -d '{…}'} declares {@code application/x-www-form-urlencoded}, and Spring would then
 * rebuild the body from the form parameters it decoded ({@code %7B%22…}) instead of passing the
 * bytes on. Such requests are shown to the rest of the server as {@code application/json}; Tomcat
 * itself never decodes bodies as forms ({@link WebServerConfiguration#tuneForFederation}).
 * Media uploads keep the type they declare: it is the file's.
 */
@Configuration(proxyBeanMethods = false)
class JsonRequestBodies {

    static final String FORM = "application/x-www-form-urlencoded";
    static final String JSON = "application/json";

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> jsonRequestBodiesFilter() {
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                chain.doFilter(declaresForm(request) && !isMedia(request) ? new DeclaredJson(request) : request, response);
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("jsonRequestBodies");
        // Before everything that looks at the Content-Type (Spring's FormContentFilter, the federation body cache).
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    static boolean declaresForm(HttpServletRequest request) {
        String type = request.getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith(FORM);
    }

    static boolean isMedia(HttpServletRequest request) {
        String uri = request.getRequestURI();
        return uri.startsWith("/_matrix/media/") || uri.startsWith("/_matrix/client/v1/media/");
    }

    /** The request with its Content-Type shown as JSON. */
    static final class DeclaredJson extends HttpServletRequestWrapper {

        DeclaredJson(HttpServletRequest request) {
            super(request);
        }

        @Override
        public String getContentType() {
            return JSON;
        }

        @Override
        public String getHeader(String name) {
            return isContentType(name) ? JSON : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return isContentType(name) ? Collections.enumeration(List.of(JSON)) : super.getHeaders(name);
        }

        private static boolean isContentType(String name) {
            return "Content-Type".equalsIgnoreCase(name);
        }
    }
}
