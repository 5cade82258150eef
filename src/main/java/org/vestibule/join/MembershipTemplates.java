package org.vestibule.join;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.room.LocalEvents;

/**
 * The first half of a membership change through another server: {@code make_join},
 * {@code make_knock} or {@code make_leave}, the template checked (spec: room, sender, state_key,
 * type and membership must be what we asked for, else the answer is discarded) and our event
 * signed from it.
 */
@Component
class MembershipTemplates {

    /** Our signed event, in the room version the resident offered. */
    record Signed(RoomVersion version, Pdu event) {}

    private final FederationClient client;
    private final LocalEvents localEvents;
    private final Clock clock;

    MembershipTemplates(FederationClient client, LocalEvents localEvents, Clock clock) {
        this.client = client;
        this.localEvents = localEvents;
        this.clock = clock;
    }

    /**
     * Asks {@code server} for the template of {@code membership} ("join", "knock" or "leave",
     * offering every room version we support except for a leave, which takes none) and signs it.
     */
    Signed make(String server, String membership, String roomId, String userId, Map<String, Object> content)
            throws Failover.TryNext {
        String step = "make_" + membership;
        StringBuilder path = new StringBuilder("/_matrix/federation/v1/").append(step).append('/')
                .append(FederationClient.pathSegment(roomId)).append('/').append(FederationClient.pathSegment(userId));
        if (!"leave".equals(membership)) {
            char sep = '?';
            for (String v : RoomVersions.ids()) {
                path.append(sep).append("ver=").append(v);
                sep = '&';
            }
        }
        Map<String, Object> answer = Failover.object(server, step, membership, () -> client.get(server, path.toString()));
        RoomVersion version = RoomVersions.byId(Json.string(answer, "room_version").orElse("1"))
                .orElseThrow(() -> new MatrixException(400, Errcode.INCOMPATIBLE_ROOM_VERSION, server
                        + " offered room version " + answer.get("room_version") + ", which this server does not support"));
        Map<String, Object> template = Json.object(answer, "event");
        String problem = problem(template, roomId, userId, membership);
        if (problem != null) {
            throw new Failover.TryNext(new JoinAttempt(server, step, 200, null, "unusable template: " + problem));
        }
        Map<String, Object> event = Json.mutableCopy(template);
        Map<String, Object> merged = new LinkedHashMap<>(content);
        merged.putAll(Json.object(template, "content"));
        merged.put("membership", membership);
        event.put("content", merged);
        event.remove("origin");
        event.remove("hashes");
        event.remove("signatures");
        event.remove("unsigned");
        event.put("origin_server_ts", clock.millis());
        if (version.hasExplicitEventIds()) {
            event.put("event_id", localEvents.newEventId());
        } else {
            event.remove("event_id");
        }
        try {
            return new Signed(version, localEvents.sign(event, version));
        } catch (RuntimeException e) {
            throw new Failover.TryNext(new JoinAttempt(server, step, 200, null, "unusable template: " + e.getMessage()));
        }
    }

    private static String problem(Map<String, Object> template, String roomId, String userId, String membership) {
        if (template.isEmpty()) {
            return "no event";
        }
        if (!roomId.equals(template.get("room_id"))) {
            return "room_id is " + template.get("room_id");
        }
        if (!"m.room.member".equals(template.get("type"))) {
            return "type is " + template.get("type");
        }
        if (!userId.equals(template.get("sender")) || !userId.equals(template.get("state_key"))) {
            return "sender and state_key must both be " + userId;
        }
        if (!membership.equals(Json.object(template, "content").get("membership"))) {
            return "membership is not " + membership;
        }
        return null;
    }
}
