package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.DelegatingServletInputStream;
import org.springframework.mock.web.MockHttpServletRequest;
import org.vestibule.error.MatrixException;

/** A body without a Content-Length is read only as far as the limit, not whole and then refused. */
class RequestBodyLimitTests {

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
        RequestBodyLimit.Counted body = new RequestBodyLimit.Counted(new DelegatingServletInputStream(source), 1000);
        assertThatThrownBy(body::readAllBytes).isInstanceOfSatisfying(MatrixException.class, e -> {
            assertThat(e.status()).isEqualTo(413);
            assertThat(e.errcode()).isEqualTo("M_TOO_LARGE");
        });
        assertThat(taken.get()).isLessThanOrEqualTo(1000 + 16 * 1024);
    }

    @Test
    void aBodyWithinTheLimitIsReadWhole() throws IOException {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/_matrix/client/v3/login");
        request.setContent(new byte[1000]);
        assertThat(new RequestBodyLimit.Limited(request, 1000).getInputStream().readAllBytes()).hasSize(1000);
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeReading() {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/_matrix/client/v3/login");
        request.setContent(new byte[1001]);
        assertThatThrownBy(() -> new RequestBodyLimit.Limited(request, 1000).getInputStream())
                .isInstanceOfSatisfying(MatrixException.class, e -> assertThat(e.status()).isEqualTo(413));
    }

    @Test
    void federationAndMediaKeepTheirOwnLimits() {
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("PUT", "/_matrix/federation/v1/send/1"))).isFalse();
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("POST", "/_matrix/media/v3/upload"))).isFalse();
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("POST", "/_matrix/client/v3/login"))).isTrue();
        assertThat(RequestBodyLimit.limited(new MockHttpServletRequest("POST", "/_matrix/key/v2/query"))).isTrue();
    }
}
