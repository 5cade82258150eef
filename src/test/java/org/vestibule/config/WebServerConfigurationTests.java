package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

class WebServerConfigurationTests {

    private static final boolean JDK_HAS_VIRTUAL_THREADS = Runtime.version().feature() >= 21;

    @Test
    void aheadOfTimeDefinitionsGetVirtualRequestThreadsExactlyWhenTheRunningJdkHasThem() {
        MockEnvironment enabled = new MockEnvironment().withProperty("spring.threads.virtual.enabled", "true");

        assertThat(WebServerConfiguration.virtualThreadsLeftToUs(true, enabled)).isEqualTo(JDK_HAS_VIRTUAL_THREADS);
    }

    @Test
    void switchedOffTheyStayPlatformThreads() {
        MockEnvironment disabled = new MockEnvironment().withProperty("spring.threads.virtual.enabled", "false");

        assertThat(WebServerConfiguration.virtualThreadsLeftToUs(true, disabled)).isFalse();
        assertThat(WebServerConfiguration.virtualThreadsLeftToUs(true, new MockEnvironment())).isFalse();
    }

    @Test
    void withoutAheadOfTimeDefinitionsSpringBootChoosesItself() {
        MockEnvironment enabled = new MockEnvironment().withProperty("spring.threads.virtual.enabled", "true");

        assertThat(WebServerConfiguration.virtualThreadsLeftToUs(false, enabled)).isFalse();
    }
}
