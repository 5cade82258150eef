package org.vestibule.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class FederationPropertiesTests {

    private static FederationProperties withMaxResponseBody(DataSize max) {
        return with(max, null);
    }

    private static FederationProperties with(DataSize maxResponseBody, DataSize responseMemory) {
        return new FederationProperties(false, null, Duration.ofSeconds(10), Duration.ofSeconds(60),
                DataSize.ofMegabytes(8), maxResponseBody, responseMemory, null);
    }

    @Test
    void unsetAnswersShareAnEighthOfTheHeapAndOneMayTakeItAll() {
        FederationProperties unset = with(null, null);
        long eighth = Runtime.getRuntime().maxMemory() / 8;
        assertThat(unset.responseMemory().toBytes()).isEqualTo(eighth);
        assertThat(unset.maxResponseBody().toBytes()).isEqualTo(Math.min(DataSize.ofMegabytes(256).toBytes(), eighth));
    }

    @Test
    void unsetTheLargestResponseIsTheResponseMemory() {
        assertThat(with(null, DataSize.ofMegabytes(100)).maxResponseBody()).isEqualTo(DataSize.ofMegabytes(100));
        assertThat(with(null, DataSize.ofGigabytes(1)).maxResponseBody()).isEqualTo(DataSize.ofMegabytes(256));
    }

    @Test
    void aSetLargestResponseIsKept() {
        assertThat(withMaxResponseBody(DataSize.ofMegabytes(512)).maxResponseBody()).isEqualTo(DataSize.ofMegabytes(512));
    }

    @Test
    void aNegativeSizeIsRefusedByName() {
        assertThatIllegalArgumentException().isThrownBy(() -> with(null, DataSize.ofBytes(-1)))
                .withMessageContaining("vestibule.federation.response-memory");
        assertThatIllegalArgumentException().isThrownBy(() -> withMaxResponseBody(DataSize.ofMegabytes(-5)))
                .withMessageContaining("vestibule.federation.max-response-body");
        assertThatIllegalArgumentException().isThrownBy(() -> new FederationProperties(false, null, Duration.ofSeconds(10),
                        Duration.ofSeconds(60), DataSize.ofBytes(-1), null, null, null))
                .withMessageContaining("vestibule.federation.max-request-body");
    }
}
