package org.vestibule.join;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomSnapshot;

/** Our users joining and leaving rooms. */
@Service
public class JoinService {

    /** Profile fields a local user's join carries. */
    public interface Profiles {
        Map<String, Object> memberContent(String userId);
    }

    private final EventGraph graph;
    private final LocalEvents localEvents;
    private final RoomMemberships memberships;
    private final JoinEligibility eligibility;
    private final ServerKeyring keyring;
    private final Profiles profiles;

    JoinService(EventGraph graph, LocalEvents localEvents, RoomMemberships memberships, JoinEligibility eligibility,
                ServerKeyring keyring, Profiles profiles) {
        this.graph = graph;
        this.localEvents = localEvents;
        this.memberships = memberships;
        this.eligibility = eligibility;
        this.keyring = keyring;
        this.profiles = profiles;
    }

    /** Joins a local user to a room and returns the room ID. */
    public String join(String userId, String roomId, List<String> servers, String reason) {
        if (!Identifiers.isRoomIdOfAnyVersion(roomId)) {
            throw MatrixException.invalidParam("'" + roomId + "' is not a room ID or alias");
        }
        RoomVersion version = graph.roomVersion(roomId).orElse(null);
        if (version == null || !memberships.isServerJoined(roomId, keyring.serverName())) {
            throw new MatrixException(404, Errcode.NOT_FOUND, "This server is not in " + roomId
                    + " and joining rooms on other servers is not available yet");
        }
        RoomSnapshot snapshot = localEvents.snapshot(roomId);
        JoinDecision decision = eligibility.decide(version, snapshot.state(), userId);
        Map<String, Object> content = new LinkedHashMap<>(profiles.memberContent(userId));
        content.put("membership", "join");
        if (reason != null) {
            content.put("reason", reason);
        }
        if (decision instanceof JoinDecision.Allowed a) {
            if (a.authoriser() != null) {
                content.put("join_authorised_via_users_server", a.authoriser());
            }
        } else if (decision instanceof JoinDecision.Forbidden f) {
            throw MatrixException.forbidden(f.message());
        } else if (decision instanceof JoinDecision.UnableToAuthorise u) {
            throw MatrixException.forbidden(u.message());
        } else if (decision instanceof JoinDecision.UnableToGrant g) {
            throw MatrixException.forbidden(g.message());
        }
        localEvents.send(roomId, userId, "m.room.member", userId, content);
        return roomId;
    }

    /** A local user leaves a room (or rejects an invite, or rescinds a knock). */
    public void leave(String userId, String roomId, String reason) {
        if (graph.roomVersion(roomId).isEmpty()) {
            throw MatrixException.notFound("Unknown room " + roomId);
        }
        String membership = memberships.membershipOf(roomId, userId).orElse(null);
        if (membership == null || "leave".equals(membership)) {
            throw MatrixException.forbidden(userId + " is not in " + roomId);
        }
        if ("ban".equals(membership)) {
            throw MatrixException.forbidden(userId + " is banned from " + roomId);
        }
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("membership", "leave");
        if (reason != null) {
            content.put("reason", reason);
        }
        localEvents.send(roomId, userId, "m.room.member", userId, content);
    }
}
