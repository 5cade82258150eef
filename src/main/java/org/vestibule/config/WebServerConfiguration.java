package org.vestibule.config;

import org.apache.catalina.Lifecycle;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.tomcat.util.threads.VirtualThreadExecutor;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.thread.Threading;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.vestibule.error.MatrixErrorReportValve;
import org.vestibule.error.PlainHttpOnTlsPort;

/** Settings of the plain HTTP connector that the HTTPS one shares, and Tomcat's error page. */
@Configuration(proxyBeanMethods = false)
class WebServerConfiguration {

    /**
     * Both connectors: room versions 1–3 have event IDs with '/' in them, sent as %2F in paths; Tomcat refuses
     * those with a bare 400 unless told to pass them through.
     */
    static void tuneForFederation(Connector connector) {
        connector.setEncodedSolidusHandling("passthrough");
        // Peers keep one connection open for many requests; Tomcat's default closes it after 100,
        // and each new TLS handshake costs more than the request.
        connector.setProperty("maxKeepAliveRequests", "-1");
        // Every Matrix body is JSON, whatever its Content-Type: Tomcat must never decode a POST body
        // as form parameters (curl -d sends application/x-www-form-urlencoded). See JsonRequestBodies.
        connector.setParseBodyMethods("");
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> encodedSlashes() {
        return factory -> factory.addConnectorCustomizers(WebServerConfiguration::tuneForFederation);
    }

    /**
     * Request threads of both listeners, at most so many requests in progress at once between them
     * (BoundedExecutor): the plain listener's on virtual threads on JDK 21+, the HTTPS listener's on
     * platform threads (FederationThreads). Spring Boot's switch ({@code spring.threads.virtual.enabled})
     * is a bean condition, which ahead-of-time processing fixes for the JDK it ran on; pom.xml processes
     * it off, so one jar starts on JDK 17 and 21+ alike, and the choice is made here as the server
     * starts. Without ahead-of-time definitions Spring Boot sets its own unbounded executor first (its
     * customizer's order is 1), and this one, ordered last, takes its place.
     */
    @Bean
    RequestThreads requestThreads(Environment environment, FederationListener federation, TlsProperties tls) {
        // vestibule.tls.max-threads set: the HTTPS listener keeps that many threads of Tomcat's, bounded alone.
        return new RequestThreads(environment, tls.maxThreads() == null ? federation.connector() : null,
                tls.workerThreads());
    }

    static final class RequestThreads implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered,
            DisposableBean {

        private final Environment environment;
        private final Connector federation;
        private final int federationKept;
        private FederationThreads federationThreads;

        /**
         * @param federation     the HTTPS connector to give threads in the bound, or null
         * @param federationKept its threads kept while idle
         */
        RequestThreads(Environment environment, Connector federation, int federationKept) {
            this.environment = environment;
            this.federation = federation;
            this.federationKept = federationKept;
        }

        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            // Requests in progress at once: server.tomcat.threads.max if set, else what the heap holds.
            int requests = environment.getProperty("server.tomcat.threads.max", Integer.class,
                    ConnectionLimits.forThisHeap().requests());
            // On JDK 17 the plain listener keeps Tomcat's own threads, and the bound is the HTTPS listener's alone.
            BoundedExecutor bound = on(environment)
                    ? new BoundedExecutor(new VirtualThreadExecutor("tomcat-handler-"), requests) : null;
            if (bound != null) {
                factory.addProtocolHandlerCustomizers(handler -> handler.setExecutor(bound));
            }
            if (federation != null) {
                federationThreads = new FederationThreads(federationKept);
                federation.getProtocolHandler().setExecutor(bound != null ? bound.via(federationThreads)
                        : new BoundedExecutor(federationThreads, requests));
            }
        }

        static boolean on(Environment environment) {
            return Threading.VIRTUAL.isActive(environment);
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE; // after Spring Boot's own
        }

        @Override
        public void destroy() {
            if (federationThreads != null) {
                federationThreads.shutdown();
            }
        }
    }

    /** The plain listener's connections bounded by the heap (ConnectionLimits) unless set. */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> plainConnectionLimit(Environment environment) {
        return factory -> {
            // Runs after Boot's customizer, which always applies server.tomcat.max-connections (8,192 unset).
            if (!environment.containsProperty("server.tomcat.max-connections")) {
                int limit = ConnectionLimits.forThisHeap().plain();
                factory.addConnectorCustomizers(connector -> {
                    if (!connector.getSecure()) { // the HTTPS listener has its own (FederationListenerConfiguration)
                        connector.setProperty("maxConnections", Integer.toString(limit));
                    }
                });
            }
        };
    }

    /**
     * Tomcat's own error page (HTML) replaced by Matrix JSON on the Host, which both connectors share,
     * and its answer to plain HTTP on the HTTPS port likewise.
     * Boot adds a plain ErrorReportValve in a context customizer of its own, in no order relative to
     * ours, so the swap happens as the Host starts, when every customizer has run.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> matrixErrorReports() {
        PlainHttpOnTlsPort.answerWithMatrixError();
        return factory -> factory.addContextCustomizers(context -> {
            if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(MatrixErrorReportValve.class.getName());
                host.addLifecycleListener(event -> {
                    if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                        useMatrixErrorReports(host);
                    }
                });
            }
        });
    }

    private static void useMatrixErrorReports(StandardHost host) {
        boolean present = false;
        for (Valve valve : host.getPipeline().getValves()) {
            if (valve instanceof MatrixErrorReportValve) {
                present = true;
            } else if (valve instanceof ErrorReportValve) {
                host.getPipeline().removeValve(valve);
            }
        }
        if (!present) {
            host.getPipeline().addValve(new MatrixErrorReportValve());
        }
    }
}
