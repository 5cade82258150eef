package org.vestibule.federation.inbound;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.vestibule.room.ServerAcls;

/**
 * The room's server ACL, checked on every federation endpoint whose path names a room
 * ({@code {roomId}}: make/send_join, make/send_leave, make/send_knock, invite, state, state_ids,
 * event_auth, backfill, get_missing_events) right after the X-Matrix check and before the
 * controller does any work (spec server-server §Server Access Control Lists). {@code /event} and
 * {@code /send} name rooms inside, and check there.
 */
final class ServerAclInterceptor implements HandlerInterceptor {

    static final String ROOM_ID = "roomId";

    private final Supplier<ServerAcls> acls;

    ServerAclInterceptor(Supplier<ServerAcls> acls) {
        this.acls = acls;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE) instanceof Map<?, ?> variables
                && variables.get(ROOM_ID) instanceof String roomId
                && request.getAttribute(Origin.ATTRIBUTE) instanceof Origin origin) {
            acls.get().require(origin.serverName(), roomId);
        }
        return true;
    }
}
