package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.coyote.http11.Http11NioProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.springframework.boot.tomcat.TomcatProtocolHandlerCustomizer;
import org.springframework.boot.tomcat.autoconfigure.TomcatVirtualThreadsWebServerFactoryCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.mock.env.MockEnvironment;
import org.vestibule.config.WebServerConfiguration.VirtualRequestThreads;

class WebServerConfigurationTests {

    private static final boolean JDK_HAS_VIRTUAL_THREADS = Runtime.version().feature() >= 21;

    private static final MockEnvironment ENABLED = new MockEnvironment()
            .withProperty("spring.threads.virtual.enabled", "true");

    @Test
    void virtualRequestThreadsExactlyWhenTheRunningJdkHasThemAndTheSwitchIsOn() {
        assertThat(VirtualRequestThreads.on(ENABLED)).isEqualTo(JDK_HAS_VIRTUAL_THREADS);
        assertThat(VirtualRequestThreads.on(new MockEnvironment()
                .withProperty("spring.threads.virtual.enabled", "false"))).isFalse();
        assertThat(VirtualRequestThreads.on(new MockEnvironment())).isFalse();
    }

    @Test
    void oursComesAfterSpringBootsOwnUnboundedExecutor() {
        List<WebServerFactoryCustomizer<?>> customizers = new ArrayList<>(List.of(
                new VirtualRequestThreads(ENABLED), new TomcatVirtualThreadsWebServerFactoryCustomizer()));
        customizers.sort(AnnotationAwareOrderComparator.INSTANCE);
        assertThat(customizers.get(1)).isInstanceOf(VirtualRequestThreads.class);
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    @SuppressWarnings("unchecked")
    void withoutAheadOfTimeDefinitionsTheListenerStillGetsTheBoundedExecutor() {
        TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory();
        new TomcatVirtualThreadsWebServerFactoryCustomizer().customize(factory);
        new VirtualRequestThreads(ENABLED).customize(factory);
        Http11NioProtocol protocol = new Http11NioProtocol();
        for (TomcatProtocolHandlerCustomizer<?> customizer : factory.getProtocolHandlerCustomizers()) {
            ((TomcatProtocolHandlerCustomizer<Http11NioProtocol>) customizer).customize(protocol);
        }
        assertThat(protocol.getExecutor()).isInstanceOf(BoundedExecutor.class);
    }
}
