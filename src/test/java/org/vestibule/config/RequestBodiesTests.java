package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.FilterChain;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.DelegatingServletInputStream;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.vestibule.error.MatrixException;

/** Bodies are read only as far as their limit and the shared budget, not whole and then refused. */
class RequestBodiesTests {

    /** A request whose length is not declared, as with chunked transfer encoding. */
    private static MockHttpServletRequest chunked(int size) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/_matrix/client/v3/login") {
            @Override
            public long getContentLengthLong() {
                return -1;
            }
        };
        request.setContent(new byte[size]);
        return request;
    }

    private static FilterChain reading(AtomicLong length) {
        return (request, response) -> length.set(request.getInputStream().readAllBytes().length);
    }

    @Test
    void readingStopsJustPastTheLimit() {
        AtomicLong taken = new AtomicLong();
        InputStream source = new ByteArrayInputStream(new byte[4 * 1024 * 1024]) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                int n = super.read(b, off, len);
                taken.addAndGet(Math.max(n, 0));
                return n;
            }
        };
        RequestBodies bodies = new RequestBodies(1 << 30);
        RequestBodies.Counted body = bodies.new Counted(new DelegatingServletInputStream(source), 1000);
        assertThatThrownBy(body::readAllBytes).isInstanceOfSatisfying(MatrixException.class, e -> {
            assertThat(e.status()).isEqualTo(413);
            assertThat(e.errcode()).isEqualTo("M_TOO_LARGE");
        });
        assertThat(taken.get()).isLessThanOrEqualTo(1000 + 16 * 1024);
        assertThat(bodies.held()).isLessThanOrEqualTo(1000L * RequestBodies.HELD_PER_BYTE);
    }

    @Test
    void aBodyWithinTheLimitIsReadWholeAndGivenBackAfterTheRequest() throws Exception {
        RequestBodies bodies = new RequestBodies(1 << 30);
        AtomicLong length = new AtomicLong();
        AtomicLong heldDuring = new AtomicLong();
        bodies.limit(chunked(1000), new MockHttpServletResponse(), (request, response) -> {
            length.set(request.getInputStream().readAllBytes().length);
            heldDuring.set(bodies.held());
        }, 1000);
        assertThat(length.get()).isEqualTo(1000);
        assertThat(heldDuring.get()).isEqualTo(1000L * RequestBodies.HELD_PER_BYTE); // with what parsing may take
        assertThat(bodies.held()).isZero();
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeReading() {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/_matrix/client/v3/login");
        request.setContent(new byte[1001]);
        RequestBodies bodies = new RequestBodies(1 << 30);
        assertThatThrownBy(() -> bodies.limit(request, new MockHttpServletResponse(), reading(new AtomicLong()), 1000))
                .isInstanceOfSatisfying(MatrixException.class, e -> assertThat(e.status()).isEqualTo(413));
        assertThat(bodies.held()).isZero();
    }

    @Test
    void bodiesTogetherStayWithinTheBudget() throws Exception {
        RequestBodies bodies = new RequestBodies(1500L * RequestBodies.HELD_PER_BYTE);
        AtomicLong second = new AtomicLong(-1);
        // The second body arrives while the first is still held: 429 with a time to wait, and nothing kept.
        bodies.limit(chunked(1000), new MockHttpServletResponse(), (request, response) -> {
            request.getInputStream().readAllBytes();
            assertThatThrownBy(() -> bodies.limit(chunked(1000), new MockHttpServletResponse(), reading(second), 1000))
                    .isInstanceOfSatisfying(MatrixException.class, e -> {
                        assertThat(e.status()).isEqualTo(429);
                        assertThat(e.errcode()).isEqualTo("M_LIMIT_EXCEEDED");
                        assertThat(e.extra()).containsEntry(MatrixException.RETRY_AFTER_MS, RequestBodies.RETRY_AFTER_MS);
                    });
            assertThat(bodies.held()).isEqualTo(1000L * RequestBodies.HELD_PER_BYTE);
        }, 1000);
        assertThat(bodies.held()).isZero();
        bodies.limit(chunked(1000), new MockHttpServletResponse(), reading(second), 1000);
        assertThat(second.get()).isEqualTo(1000);
    }

    @Test
    void aBodyAloneIsLetInEvenOverTheBudget() throws Exception {
        RequestBodies bodies = new RequestBodies(100);
        AtomicLong length = new AtomicLong();
        bodies.limit(chunked(1000), new MockHttpServletResponse(), reading(length), 1000);
        assertThat(length.get()).isEqualTo(1000);
        assertThat(bodies.held()).isZero();
    }

    @Test
    void federationAndMediaKeepTheirOwnLimits() {
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("PUT", "/_matrix/federation/v1/send/1"))).isFalse();
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("POST", "/_matrix/media/v3/upload"))).isFalse();
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("POST", "/_matrix/client/v3/login"))).isTrue();
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("POST", "/_matrix/key/v2/query"))).isTrue();
    }
}
