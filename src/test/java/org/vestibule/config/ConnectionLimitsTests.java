package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConnectionLimitsTests {

    @Test
    void theConnectionsFitInTheirShareOfTheHeap() {
        long heap = 259_522_560; // Runtime.maxMemory() under bin/vestibule's -Xmx256m
        ConnectionLimits limits = ConnectionLimits.forHeap(heap);
        assertThat(limits.https()).isEqualTo(440);
        assertThat(limits.plain()).isEqualTo(1408);
        assertThat(limits.requests()).isEqualTo(256); // the floor: an eighth would be 226
        // With request bodies' eighth, peers' answers' eighth and an idle server's ~32 MB, a quarter stays free.
        long worst = (long) limits.https() * ConnectionLimits.HTTPS_CONNECTION_BYTES
                + (long) limits.plain() * ConnectionLimits.PLAIN_CONNECTION_BYTES
                + (long) limits.requests() * ConnectionLimits.REQUEST_BYTES + heap / 8 + heap / 8 + (32L << 20);
        assertThat(worst).isLessThanOrEqualTo(heap * 3 / 4);
    }

    @Test
    void smallHeapsKeepAFloorAndLargeOnesTomcatsDefault() {
        assertThat(ConnectionLimits.forHeap(32L << 20)).isEqualTo(new ConnectionLimits(256, 256, 256));
        assertThat(ConnectionLimits.forHeap(16L << 30)).isEqualTo(new ConnectionLimits(8192, 8192, 8192));
    }
}
