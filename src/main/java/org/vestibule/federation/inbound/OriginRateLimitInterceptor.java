package org.vestibule.federation.inbound;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.function.Supplier;
import org.springframework.web.servlet.HandlerInterceptor;
import org.vestibule.ratelimit.FederationRateLimiter;
import org.vestibule.ratelimit.RateLimits;

/**
 * Inbound federation requests per origin (rc_federation), once the X-Matrix check has named the
 * origin: the request may wait, or get 429, before anything else; its slot is freed when it ends.
 */
final class OriginRateLimitInterceptor implements HandlerInterceptor {

    private static final String PERMIT = OriginRateLimitInterceptor.class.getName() + ".permit";

    private final Supplier<RateLimits> limits;

    OriginRateLimitInterceptor(Supplier<RateLimits> limits) {
        this.limits = limits;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (request.getAttribute(Origin.ATTRIBUTE) instanceof Origin origin) {
            request.setAttribute(PERMIT, limits.get().federationRequest(origin.serverName()));
        }
        return true;
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler, Exception ex) {
        if (request.getAttribute(PERMIT) instanceof FederationRateLimiter.Permit permit) {
            request.removeAttribute(PERMIT);
            permit.close();
        }
    }
}
