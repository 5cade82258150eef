package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.catalina.connector.Connector;
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
import org.vestibule.config.WebServerConfiguration.RequestThreads;

class WebServerConfigurationTests {

    private static final boolean JDK_HAS_VIRTUAL_THREADS = Runtime.version().feature() >= 21;

    private static final MockEnvironment ENABLED = new MockEnvironment()
            .withProperty("spring.threads.virtual.enabled", "true");

    @Test
    void virtualRequestThreadsExactlyWhenTheRunningJdkHasThemAndTheSwitchIsOn() {
        assertThat(RequestThreads.on(ENABLED)).isEqualTo(JDK_HAS_VIRTUAL_THREADS);
        assertThat(RequestThreads.on(new MockEnvironment()
                .withProperty("spring.threads.virtual.enabled", "false"))).isFalse();
        assertThat(RequestThreads.on(new MockEnvironment())).isFalse();
    }

    @Test
    void oursComesAfterSpringBootsOwnUnboundedExecutor() {
        List<WebServerFactoryCustomizer<?>> customizers = new ArrayList<>(List.of(
                new RequestThreads(ENABLED, null, 8), new TomcatVirtualThreadsWebServerFactoryCustomizer()));
        customizers.sort(AnnotationAwareOrderComparator.INSTANCE);
        assertThat(customizers.get(1)).isInstanceOf(RequestThreads.class);
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    @SuppressWarnings("unchecked")
    void withoutAheadOfTimeDefinitionsTheListenerStillGetsTheBoundedExecutor() {
        TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory();
        new TomcatVirtualThreadsWebServerFactoryCustomizer().customize(factory);
        new RequestThreads(ENABLED, null, 8).customize(factory);
        Http11NioProtocol protocol = new Http11NioProtocol();
        for (TomcatProtocolHandlerCustomizer<?> customizer : factory.getProtocolHandlerCustomizers()) {
            ((TomcatProtocolHandlerCustomizer<Http11NioProtocol>) customizer).customize(protocol);
        }
        assertThat(protocol.getExecutor()).isInstanceOf(BoundedExecutor.class);
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    @SuppressWarnings("unchecked")
    void theFederationListenerRunsOnPlatformThreadsInTheSameBound() throws Exception {
        Connector federation = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
        TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory();
        RequestThreads threads = new RequestThreads(new MockEnvironment()
                .withProperty("spring.threads.virtual.enabled", "true")
                .withProperty("server.tomcat.threads.max", "1"), federation, 2);
        threads.customize(factory);
        Http11NioProtocol plain = new Http11NioProtocol();
        for (TomcatProtocolHandlerCustomizer<?> customizer : factory.getProtocolHandlerCustomizers()) {
            ((TomcatProtocolHandlerCustomizer<Http11NioProtocol>) customizer).customize(plain);
        }
        try {
            CountDownLatch release = new CountDownLatch(1);
            plain.getExecutor().execute(() -> await(release));
            BlockingQueue<Thread> federationThread = new LinkedBlockingQueue<>();
            federation.getProtocolHandler().getExecutor().execute(() -> federationThread.add(Thread.currentThread()));
            assertThat(federationThread.poll(200, TimeUnit.MILLISECONDS)).as("the one place is taken").isNull();
            release.countDown();
            Thread ran = federationThread.poll(10, TimeUnit.SECONDS);
            assertThat(ran).isNotNull();
            assertThat(ran.getName()).startsWith("https-handler-");
        } finally {
            threads.destroy();
        }
    }

    @Test
    void onAnyJdkTheFederationListenerGetsBoundedThreadsOfItsOwn() {
        Connector federation = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
        RequestThreads threads = new RequestThreads(new MockEnvironment(), federation, 2);
        threads.customize(new TomcatServletWebServerFactory());
        try {
            assertThat(federation.getProtocolHandler().getExecutor()).isInstanceOf(BoundedExecutor.class);
        } finally {
            threads.destroy();
        }
    }

    @Test
    void withItsThreadsConfiguredTheFederationListenerKeepsTomcats() {
        Connector federation = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
        TlsProperties fourThreads = new TlsProperties(true, 8448, null, null, 4, null, TlsProperties.Engine.JDK, null, null);
        new WebServerConfiguration().requestThreads(ENABLED, new FederationListener(federation), fourThreads)
                .customize(new TomcatServletWebServerFactory());
        assertThat(federation.getProtocolHandler().getExecutor()).isNull();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
