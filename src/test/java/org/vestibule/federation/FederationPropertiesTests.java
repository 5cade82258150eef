package org.vestibule.federation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class FederationPropertiesTests {

    private static FederationProperties withMaxResponseBody(DataSize max) {
        return new FederationProperties(false, null, Duration.ofSeconds(10), Duration.ofSeconds(60),
                DataSize.ofMegabytes(8), max, null);
    }

    @Test
    void unsetTheLargestResponseIsWhatTheHeapCanParse() {
        long expected = Math.min(DataSize.ofMegabytes(256).toBytes(), Runtime.getRuntime().maxMemory() / 6);
        assertThat(withMaxResponseBody(null).maxResponseBody().toBytes()).isEqualTo(expected);
    }

    @Test
    void aSetLargestResponseIsKept() {
        assertThat(withMaxResponseBody(DataSize.ofMegabytes(512)).maxResponseBody()).isEqualTo(DataSize.ofMegabytes(512));
    }
}
