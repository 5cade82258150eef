package org.vestibule.federation.inbound;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.util.WebUtils;

/**
 * Authenticates every federation request that reached a controller before the controller, or
 * anything reading the body, runs. It runs after handler mapping, so unknown endpoints still
 * answer 404 M_UNRECOGNIZED and wrong methods 405, as the spec asks.
 */
final class FederationAuthInterceptor implements HandlerInterceptor {

    private final XMatrixAuthenticator authenticator;
    private final Consumer<String> peerIsUp;

    /** @param peerIsUp told the server name of each origin that authenticated (the outbound queue retries it) */
    FederationAuthInterceptor(XMatrixAuthenticator authenticator, Consumer<String> peerIsUp) {
        this.authenticator = authenticator;
        this.peerIsUp = peerIsUp;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        CachedBodyRequest cached = WebUtils.getNativeRequest(request, CachedBodyRequest.class);
        if (cached == null) {
            throw new IllegalStateException("federation request without the body-caching filter: " + request.getRequestURI());
        }
        // The raw target as sent: never the decoded or normalised path.
        String uri = request.getRequestURI() + (request.getQueryString() != null ? "?" + request.getQueryString() : "");
        List<String> headers = Collections.list(request.getHeaders("Authorization"));
        Origin origin = authenticator.authenticate(request.getMethod(), uri, headers, cached::body);
        request.setAttribute(Origin.ATTRIBUTE, origin);
        peerIsUp.accept(origin.serverName());
        return true;
    }
}
