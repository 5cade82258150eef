package org.vestibule.media;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Uploads carry whatever Content-Type the file has, {@code application/x-www-form-urlencoded}
 * included; the servlet container would then read the body as form parameters the first time
 * anyone asks for a parameter (the access token, the file name) and the upload would arrive
 * empty. Under {@code /_matrix/media/} parameters come from the query string only.
 */
@Configuration(proxyBeanMethods = false)
class MediaConfiguration {

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> mediaQueryOnlyParameters() {
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                chain.doFilter(new QueryParametersOnly(request), response);
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/_matrix/media/*");
        registration.setName("mediaQueryOnlyParameters");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
        return registration;
    }

    /** A request whose parameters are its query string's, never its body's. */
    static final class QueryParametersOnly extends HttpServletRequestWrapper {

        private final Map<String, String[]> parameters;

        QueryParametersOnly(HttpServletRequest request) {
            super(request);
            this.parameters = parse(request.getQueryString());
        }

        private static Map<String, String[]> parse(String query) {
            Map<String, String[]> out = new LinkedHashMap<>();
            if (query == null || query.isEmpty()) {
                return out;
            }
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                String[] old = out.get(name);
                String[] values = old == null ? new String[1] : Arrays.copyOf(old, old.length + 1);
                values[values.length - 1] = value;
                out.put(name, values);
            }
            return out;
        }

        private static String decode(String s) {
            try {
                return URLDecoder.decode(s, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return s; // a stray '%': keep it as sent
            }
        }

        @Override
        public String getParameter(String name) {
            String[] values = parameters.get(name);
            return values == null ? null : values[0];
        }

        @Override
        public Map<String, String[]> getParameterMap() {
            return Collections.unmodifiableMap(parameters);
        }

        @Override
        public Enumeration<String> getParameterNames() {
            return Collections.enumeration(parameters.keySet());
        }

        @Override
        public String[] getParameterValues(String name) {
            String[] values = parameters.get(name);
            return values == null ? null : values.clone();
        }
    }
}
