package org.vestibule.federation.inbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.vestibule.error.MatrixException;

class CachedBodyRequestTests {

    /** A request whose length is not declared, as with chunked transfer encoding. */
    private static MockHttpServletRequest chunked(byte[] body) {
        MockHttpServletRequest request = new MockHttpServletRequest("PUT", "/_matrix/federation/v1/send/1") {
            @Override
            public long getContentLengthLong() {
                return -1;
            }
        };
        request.setContent(body);
        return request;
    }

    @Test
    void theBodyCanBeReadAgainAndAgain() throws IOException {
        CachedBodyRequest request = new CachedBodyRequest(chunked("{\"a\":\"é\"}".getBytes(StandardCharsets.UTF_8)), 100);
        assertThat(request.body()).isEqualTo("{\"a\":\"é\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(request.getInputStream().readAllBytes()).isEqualTo(request.body());
        assertThat(request.getReader().readLine()).isEqualTo("{\"a\":\"é\"}");
        assertThat(request.getInputStream().readAllBytes()).isEqualTo(request.body());
    }

    @Test
    void theLimitHoldsWhetherOrNotTheLengthIsDeclared() {
        assertThatThrownBy(() -> new CachedBodyRequest(chunked(new byte[101]), 100).body())
                .isInstanceOfSatisfying(MatrixException.class, e -> {
                    assertThat(e.status()).isEqualTo(413);
                    assertThat(e.errcode()).isEqualTo("M_TOO_LARGE");
                });
        MockHttpServletRequest declared = new MockHttpServletRequest("PUT", "/x");
        declared.setContent(new byte[101]);
        assertThatThrownBy(() -> new CachedBodyRequest(declared, 100).body()).isInstanceOf(MatrixException.class);
        assertThat(new CachedBodyRequest(chunked(new byte[100]), 100).body()).hasSize(100);
    }
}
