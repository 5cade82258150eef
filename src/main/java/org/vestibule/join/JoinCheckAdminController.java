package org.vestibule.join;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.RoomVersion;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomSnapshot;
import org.vestibule.room.ServerAcls;

/**
 * {@code GET /_vestibule/admin/v1/rooms/{roomId}/join-check/{userId}}: what make_join would
 * decide for this user now, with the per-condition detail, without creating anything. The room's
 * server ACL comes first, as in make_join: a user whose server it denies gets decision
 * {@code server_acl} and the 403 a make_join from that server would.
 */
@RestController
class JoinCheckAdminController {

    private final EventGraph graph;
    private final LocalEvents localEvents;
    private final JoinEligibility eligibility;
    private final JoinProperties properties;
    private final ServerAcls acls;

    JoinCheckAdminController(EventGraph graph, LocalEvents localEvents, JoinEligibility eligibility,
                             JoinProperties properties, ServerAcls acls) {
        this.acls = acls;
        this.graph = graph;
        this.localEvents = localEvents;
        this.eligibility = eligibility;
        this.properties = properties;
    }

    @GetMapping("/_vestibule/admin/v1/rooms/{roomId}/join-check/{userId}")
    Map<String, Object> joinCheck(ClientUser admin, @PathVariable String roomId, @PathVariable String userId) {
        if (!admin.admin()) {
            throw MatrixException.forbidden("Only server admins may use the admin API");
        }
        if (!Identifiers.isUserId(userId)) {
            throw MatrixException.invalidParam("'" + userId + "' is not a valid user ID");
        }
        RoomVersion version = graph.roomVersion(roomId)
                .orElseThrow(() -> MatrixException.notFound("Room " + roomId + " is unknown to this server"));
        RoomSnapshot snapshot = localEvents.snapshot(roomId);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room_id", roomId);
        out.put("user_id", userId);
        out.put("room_version", version.id());
        String server = Identifiers.serverOf(userId).orElseThrow();
        String aclRefusal = acls.refusal(server, snapshot).orElse(null);
        if (aclRefusal != null) {
            out.put("decision", "server_acl");
            out.put("status", 403);
            out.put("errcode", Errcode.FORBIDDEN);
            out.put("message", aclRefusal);
            out.put("conditions", List.of());
            return out;
        }
        JoinDecision decision = eligibility.decide(version, snapshot, userId);
        MatrixException refusal = decision.refusal(properties.errcodeProfile());
        if (refusal == null) {
            out.put("decision", decision.outcome());
            out.put("status", 200);
            String authoriser = ((JoinDecision.Allowed) decision).authoriser();
            if (authoriser != null) {
                out.put("authoriser", authoriser);
            }
        } else {
            out.put("decision", decision.outcome());
            out.put("status", refusal.status());
            out.put("errcode", refusal.errcode());
            out.put("message", refusal.getMessage());
        }
        List<Map<String, Object>> conditions = decision.checks().stream()
                .map(c -> Map.<String, Object>of("room_id", c.roomId(), "status", c.status().name().toLowerCase()))
                .toList();
        out.put("conditions", conditions);
        return out;
    }
}
