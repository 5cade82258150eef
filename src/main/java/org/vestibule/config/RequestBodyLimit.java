package org.vestibule.config;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/**
 * Bodies the controllers read whole into memory are cut off at {@link JsonBody#MAX_BYTES}, the most
 * any of them parses: 413 M_TOO_LARGE as soon as the Content-Length says so or the bytes read pass
 * it. Unbounded, one 300 MB POST to /login filled the heap and stopped the server. Federation
 * requests have their own limit ({@code vestibule.federation.max-request-body}, read by the
 * signature check), and media uploads go to disk within {@code vestibule.media.max-upload-size}.
 */
@Configuration(proxyBeanMethods = false)
class RequestBodyLimit {

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> requestBodyLimitFilter() {
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                chain.doFilter(limited(request) ? new Limited(request, JsonBody.MAX_BYTES) : request, response);
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

    static MatrixException tooLarge(int maxBytes) {
        return new MatrixException(413, Errcode.TOO_LARGE, "The request body is over the limit of " + maxBytes
                + " bytes");
    }

    /** The request with a body that refuses to be read past {@code maxBytes}. */
    static final class Limited extends HttpServletRequestWrapper {

        private final int maxBytes;
        private ServletInputStream body;

        Limited(HttpServletRequest request, int maxBytes) {
            super(request);
            this.maxBytes = maxBytes;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (getRequest().getContentLengthLong() > maxBytes) {
                throw tooLarge(maxBytes); // nothing read: Tomcat drains a little of the rest, then closes
            }
            if (body == null) {
                body = new Counted(getRequest().getInputStream(), maxBytes);
            }
            return body;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            String encoding = getCharacterEncoding();
            Charset charset = encoding != null ? Charset.forName(encoding) : StandardCharsets.UTF_8;
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }
    }

    /** Counts what is read and stops past the limit, for bodies sent without a Content-Length. */
    static final class Counted extends ServletInputStream {

        private final ServletInputStream in;
        private final int maxBytes;
        private long read;

        Counted(ServletInputStream in, int maxBytes) {
            this.in = in;
            this.maxBytes = maxBytes;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > maxBytes) {
                throw tooLarge(maxBytes);
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
