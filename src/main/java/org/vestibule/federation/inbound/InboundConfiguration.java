package org.vestibule.federation.inbound;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.vestibule.config.RequestBodies;
import org.vestibule.config.VestibuleProperties;
import org.vestibule.federation.FederationProperties;
import org.vestibule.federation.outbound.TransactionQueue;
import org.vestibule.keys.RemoteServerKeys;
import org.vestibule.ratelimit.RateLimits;
import org.vestibule.room.ServerAcls;

/**
 * Federation requests: bodies cached up to {@code vestibule.federation.max-request-body}, X-Matrix
 * checked on every {@code /_matrix/federation/} endpoint but {@code /v1/version}, then the origin's
 * rate limit, then the server ACL of the room the path names; the {@link Origin} available to
 * controllers. {@code /_matrix/key/} stays open.
 */
@Configuration(proxyBeanMethods = false)
class InboundConfiguration implements WebMvcConfigurer {

    static final String FEDERATION_PATHS = "/_matrix/federation/**";
    static final String UNAUTHENTICATED_VERSION = "/_matrix/federation/v1/version";

    private final FederationProperties federation;
    private final VestibuleProperties vestibule;
    // Asked for at the first federation request: Spring MVC's set-up, before the server answers, needs no JPA.
    private final Supplier<RemoteServerKeys> keys;
    private final Clock clock;
    private final Supplier<RateLimits> limits;
    private final Supplier<ServerAcls> acls;
    private final Supplier<TransactionQueue> queue;

    InboundConfiguration(FederationProperties federation, VestibuleProperties vestibule, ObjectProvider<RemoteServerKeys> keys,
                         Clock clock, ObjectProvider<RateLimits> limits, ObjectProvider<ServerAcls> acls,
                         ObjectProvider<TransactionQueue> queue) {
        this.federation = federation;
        this.vestibule = vestibule;
        this.keys = SingletonSupplier.of(keys::getObject);
        this.clock = clock;
        this.limits = SingletonSupplier.of(limits::getObject);
        this.acls = SingletonSupplier.of(acls::getObject);
        this.queue = SingletonSupplier.of(queue::getObject);
    }

    private static int maxBody(FederationProperties federation) {
        return (int) federation.maxRequestBody().toBytes();
    }

    /**
     * Static, so the web server's filters need only the properties: the rest of this class waits on
     * JPA (keys, ACLs), which bootstraps on another thread meanwhile.
     */
    @Bean
    static FilterRegistrationBean<OncePerRequestFilter> federationBodyFilter(FederationProperties federation,
                                                                              RequestBodies bodies) {
        int maxBody = maxBody(federation);
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                // Read within the budget all bodies share, then kept for the signature check and the controller.
                bodies.limit(request, response, (limited, res) -> chain.doFilter(
                        new CachedBodyRequest((HttpServletRequest) limited, maxBody), res), maxBody);
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/_matrix/federation/*");
        registration.setName("federationBodyFilter");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
        return registration;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        XMatrixAuthenticator authenticator = new XMatrixAuthenticator(keys, vestibule.serverName(), clock, maxBody(federation));
        registry.addInterceptor(new FederationAuthInterceptor(authenticator, origin -> queue.get().peerIsUp(origin)))
                .addPathPatterns(FEDERATION_PATHS)
                .excludePathPatterns(UNAUTHENTICATED_VERSION)
                .order(Ordered.HIGHEST_PRECEDENCE);
        registry.addInterceptor(new OriginRateLimitInterceptor(limits))
                .addPathPatterns(FEDERATION_PATHS)
                .excludePathPatterns(UNAUTHENTICATED_VERSION)
                .order(Ordered.HIGHEST_PRECEDENCE + 1);
        registry.addInterceptor(new ServerAclInterceptor(acls))
                .addPathPatterns(FEDERATION_PATHS)
                .excludePathPatterns(UNAUTHENTICATED_VERSION)
                .order(Ordered.HIGHEST_PRECEDENCE + 2);
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(new OriginArgumentResolver());
    }
}
