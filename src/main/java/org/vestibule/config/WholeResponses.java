package org.vestibule.config;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Answers that fit Tomcat's buffer go out whole, with a Content-Length. Spring flushes after
 * writing a ResponseEntity's body (every error answer is one), which commits the response before
 * its length is known: Tomcat then sends it chunked, in two writes (two TLS records on the federation port) where one would do. Our answers
 * are never streamed to a reader who waits for part of one, so flushing is left to the container:
 * when the answer ends, or when its buffer fills for a large one (media, a big /sync). Only for
 * requests without a body: an early answer to one (413, 401 before the body is read) must be
 * flushed, since Tomcat reads what is left of the body before it ends the response.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class WholeResponses extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        chain.doFilter(request, hasBody(request) ? response : new Unflushed(response));
    }

    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    /** The response, with flushing left to the container. */
    private static final class Unflushed extends HttpServletResponseWrapper {

        private ServletOutputStream body;

        Unflushed(HttpServletResponse response) {
            super(response);
        }

        @Override
        public void flushBuffer() {
            // the container flushes when the answer is complete
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            if (body == null) {
                body = new UnflushedStream(super.getOutputStream());
            }
            return body;
        }
    }

    private static final class UnflushedStream extends ServletOutputStream {

        private final ServletOutputStream out;

        UnflushedStream(ServletOutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() {
            // as Unflushed.flushBuffer
        }

        @Override
        public void close() throws IOException {
            out.close();
        }

        @Override
        public boolean isReady() {
            return out.isReady();
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            out.setWriteListener(listener);
        }
    }
}
