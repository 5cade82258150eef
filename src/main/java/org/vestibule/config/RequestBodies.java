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
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.StrictJsonParser;

/**
 * Request bodies that are read whole into memory, each bounded by its own limit and all of them
 * together by a budget of an eighth of the heap, counted as what they take once parsed too (up to
 * {@link StrictJsonParser#MAX_EXPANSION} times their length). Unbounded, one 300 MB POST to /login
 * filled bin/vestibule's 256 MB heap and stopped the server; bounded one by one, 320 clients that
 * each sent most of a 1 MiB body and then waited did the same. Past the limit a body is 413
 * M_TOO_LARGE, as soon as its Content-Length says so or its bytes pass it; past the budget, 429
 * M_LIMIT_EXCEEDED until other requests are done. A body alone is always let in, so the largest a
 * limit allows still gets through when the server is otherwise idle.
 */
@Component
public class RequestBodies {

    /** What a client refused for the budget is told to wait (spec client-server §Rate limiting). */
    static final long RETRY_AFTER_MS = 1000;
    /** Each byte read, and what parsing it may take. */
    static final int HELD_PER_BYTE = 1 + StrictJsonParser.MAX_EXPANSION;

    private final long budget;
    private final AtomicLong held = new AtomicLong();

    public RequestBodies() {
        this(Runtime.getRuntime().maxMemory() / 8);
    }

    RequestBodies(long budget) {
        this.budget = budget;
    }

    /** Runs {@code chain} with the request's body readable up to {@code maxBytes} and within the budget. */
    public void limit(HttpServletRequest request, HttpServletResponse response, FilterChain chain, int maxBytes)
            throws IOException, ServletException {
        Limited limited = new Limited(request, maxBytes);
        try {
            chain.doFilter(limited, response);
        } finally {
            held.addAndGet(-limited.taken() * HELD_PER_BYTE);
        }
    }

    /** What the bodies read by requests still being answered take, by the count above. */
    long held() {
        return held.get();
    }

    /** Takes {@code n} more for a body that holds {@code own} already; refused over the budget unless it is alone. */
    private boolean take(long n, long own) {
        for (long now = held.get(); ; now = held.get()) {
            if (now + n > budget && now > own) {
                return false;
            }
            if (held.compareAndSet(now, now + n)) {
                return true;
            }
        }
    }

    static MatrixException tooLarge(int maxBytes) {
        return new MatrixException(413, Errcode.TOO_LARGE, "The request body is over the limit of " + maxBytes
                + " bytes");
    }

    private MatrixException overBudget() {
        return MatrixException.limitExceeded(RETRY_AFTER_MS, "The server is reading other requests' bodies, as many"
                + " as it holds in memory at once (" + (budget / HELD_PER_BYTE >> 10) + " KiB); try again shortly");
    }

    /** The request with a body that refuses to be read past {@code maxBytes} or the budget. */
    final class Limited extends HttpServletRequestWrapper {

        private final int maxBytes;
        private Counted body;

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
            Charset charset = encoding != null && Charset.isSupported(encoding) ? Charset.forName(encoding)
                    : StandardCharsets.UTF_8;
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }

        long taken() {
            return body == null ? 0 : body.read;
        }
    }

    /** Counts what is read, against the limit and the budget. */
    final class Counted extends ServletInputStream {

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
            if (read + n > maxBytes) {
                throw tooLarge(maxBytes);
            }
            if (!take((long) n * HELD_PER_BYTE, read * HELD_PER_BYTE)) {
                throw overBudget();
            }
            read += n;
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
