package org.vestibule.federation.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.junit.jupiter.api.Test;

/** The memory peers' answers share, and reading a body against it. */
class ResponseMemoryTests {

    private static final long KB = 1024;

    @Test
    void eachAnswersFirstPartIsNotCountedAndTheRestIsSharedUntilClosed() {
        ResponseMemory memory = new ResponseMemory(100 * KB);
        ResponseMemory.Lease small = memory.lease();
        assertThat(small.holdBytes(ResponseMemory.FREE)).isTrue();
        assertThat(memory.used()).isZero();

        ResponseMemory.Lease large = memory.lease();
        assertThat(large.holdBytes(ResponseMemory.FREE + 60 * KB)).isTrue();
        assertThat(large.holdValues(30 * KB)).isTrue();
        assertThat(memory.used()).isEqualTo(90 * KB);
        // Totals replace what was held before: growing the values takes only the difference.
        assertThat(large.holdValues(40 * KB)).isTrue();
        assertThat(memory.used()).isEqualTo(100 * KB);

        ResponseMemory.Lease other = memory.lease();
        assertThat(other.holdBytes(ResponseMemory.FREE + 1)).isFalse();
        assertThat(other.holdBytes(ResponseMemory.FREE)).isTrue(); // the free part still is
        assertThat(large.holdValues(41 * KB)).isFalse();
        assertThat(memory.used()).isEqualTo(100 * KB);

        large.close();
        assertThat(memory.used()).isZero();
        assertThat(other.holdBytes(ResponseMemory.FREE + 100 * KB)).isTrue();
        other.close();
        small.close();
        assertThat(memory.used()).isZero();
    }

    @Test
    void aBodyIsReadWithinItsLimitWhetherOrNotItsLengthIsDeclared() throws IOException {
        byte[] body = new byte[200_000];
        Arrays.fill(body, (byte) 'x');
        for (long declared : new long[] {body.length, -1}) {
            try (ResponseMemory.Lease lease = new ResponseMemory(Long.MAX_VALUE).lease()) {
                assertThat(FederationHttp.read(entity(body, declared), body.length, lease)).isEqualTo(body);
            }
            assertThatThrownBy(() -> FederationHttp.read(entity(body, declared), body.length - 1))
                    .isInstanceOf(FederationHttp.ResponseTooLargeException.class)
                    .hasMessageContaining("over our limit of " + (body.length - 1));
        }
        assertThat(FederationHttp.read(entity(new byte[0], -1), 10)).isEmpty();
        assertThat(FederationHttp.read(entity(new byte[0], 0), 10)).isEmpty();
    }

    @Test
    void aBodyThatWouldTakeMoreThanIsFreeStopsBeingReadAndGivesItBack() {
        ResponseMemory memory = new ResponseMemory(300 * KB);
        ResponseMemory.Lease first = memory.lease();
        assertThat(first.holdBytes(ResponseMemory.FREE + 200 * KB)).isTrue();
        byte[] body = new byte[250_000];
        CountingStream counted = new CountingStream(body);
        try (ResponseMemory.Lease lease = memory.lease()) {
            assertThatThrownBy(() -> FederationHttp.read(new InputStreamEntity(counted, -1, ContentType.APPLICATION_JSON),
                    1 << 20, lease))
                    .isInstanceOf(FederationHttp.ResponseTooLargeException.class)
                    .hasMessageContaining("vestibule.federation.response-memory");
        }
        // It stopped once the next chunk would not fit: ~164 KB read, not the whole 250.
        assertThat(counted.read).isLessThan(200_000);
        // With its length declared, it is refused before a byte is read.
        CountingStream declared = new CountingStream(body);
        try (ResponseMemory.Lease lease = memory.lease()) {
            assertThatThrownBy(() -> FederationHttp.read(new InputStreamEntity(declared, body.length,
                    ContentType.APPLICATION_JSON), 1 << 20, lease))
                    .isInstanceOf(FederationHttp.ResponseTooLargeException.class)
                    .hasMessageContaining("holding 250000 bytes");
        }
        assertThat(declared.read).isZero();
        first.close();
        assertThat(memory.used()).isZero();
    }

    private static InputStreamEntity entity(byte[] body, long declared) {
        return new InputStreamEntity(new ByteArrayInputStream(body), declared, ContentType.APPLICATION_JSON);
    }

    private static final class CountingStream extends InputStream {
        private final ByteArrayInputStream in;
        long read;

        CountingStream(byte[] body) {
            in = new ByteArrayInputStream(body);
        }

        @Override
        public int read() {
            int b = in.read();
            read += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n = in.read(b, off, len);
            read += Math.max(0, n);
            return n;
        }
    }
}
