package org.vestibule.join;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.StrippedState;

/**
 * Knocking on and leaving rooms hosted elsewhere (spec server-server §Knocking upon a room,
 * §Leaving Rooms): make_knock / send_knock and make_leave / send_leave, each candidate server in
 * turn with the same failover as joins. A remote leave is how our users reject an invite or
 * rescind a knock in a room this server is not in.
 */
@Service
public class RemoteMemberships {

    private static final Logger log = LoggerFactory.getLogger(RemoteMemberships.class);

    /** A knock the resident accepted, with the room's state it sent back (already checked and stripped). */
    public record Knocked(String server, Pdu event, List<Map<String, Object>> strippedState) {}

    private final FederationClient client;
    private final LocalEvents localEvents;
    private final StrippedState strippedState;
    private final ServerKeyring keyring;
    private final Clock clock;

    RemoteMemberships(FederationClient client, LocalEvents localEvents, StrippedState strippedState,
                      ServerKeyring keyring, Clock clock) {
        this.client = client;
        this.localEvents = localEvents;
        this.strippedState = strippedState;
        this.keyring = keyring;
        this.clock = clock;
    }

    /** Knocks through the first candidate that takes the knock. */
    public Knocked knock(String userId, String roomId, Collection<String> candidates, Map<String, Object> content) {
        List<JoinAttempt> attempts = new ArrayList<>();
        for (String server : others(roomId, candidates, "knock on")) {
            try {
                return knockVia(server, userId, roomId, content);
            } catch (Failover.TryNext next) {
                log.info("Knocking on {} as {} via {} failed, trying the next server: {}", roomId, userId, server,
                        next.attempt);
                attempts.add(next.attempt);
            }
        }
        throw Failover.allFailed("knock on", roomId, attempts);
    }

    /** Leaves (rejects an invite, rescinds a knock) through the first candidate that takes the leave. */
    public Pdu leave(String userId, String roomId, Collection<String> candidates, Map<String, Object> content) {
        List<JoinAttempt> attempts = new ArrayList<>();
        for (String server : others(roomId, candidates, "leave")) {
            try {
                return leaveVia(server, userId, roomId, content);
            } catch (Failover.TryNext next) {
                log.info("Leaving {} as {} via {} failed, trying the next server: {}", roomId, userId, server,
                        next.attempt);
                attempts.add(next.attempt);
            }
        }
        throw Failover.allFailed("leave", roomId, attempts);
    }

    private List<String> others(String roomId, Collection<String> candidates, String action) {
        List<String> servers = new ArrayList<>(new LinkedHashSet<>(candidates));
        servers.remove(keyring.serverName());
        if (servers.isEmpty()) {
            throw new MatrixException(404, Errcode.NOT_FOUND, "Cannot " + action + " " + roomId
                    + ": this server is not in it and no other server that is in it was given (add ?via=server)");
        }
        return servers;
    }

    private Knocked knockVia(String server, String userId, String roomId, Map<String, Object> content)
            throws Failover.TryNext {
        StringBuilder path = new StringBuilder("/_matrix/federation/v1/make_knock/")
                .append(FederationClient.pathSegment(roomId)).append('/').append(FederationClient.pathSegment(userId));
        char sep = '?';
        for (String v : RoomVersions.ids()) {
            path.append(sep).append("ver=").append(v);
            sep = '&';
        }
        Map<String, Object> answer = Failover.object(server, "make_knock", "knock",
                () -> client.get(server, path.toString()));
        RoomVersion version = version(server, answer);
        Pdu knock = signTemplate(server, "make_knock", answer, roomId, userId, "knock", content, version);
        String sendPath = "/_matrix/federation/v1/send_knock/" + FederationClient.pathSegment(roomId) + "/"
                + FederationClient.pathSegment(knock.eventId());
        Map<String, Object> response = Failover.object(server, "send_knock", "knock",
                () -> client.put(server, sendPath, knock.json()));
        if (!(response.get("knock_room_state") instanceof List<?>)) {
            throw new Failover.TryNext(new JoinAttempt(server, "send_knock", 200, null, "no knock_room_state in the answer"));
        }
        List<Map<String, Object>> state;
        try {
            state = strippedState.check(version, roomId, Json.list(response, "knock_room_state"));
        } catch (IllegalArgumentException e) {
            // The knock is in the room already; only the description of the room is unusable.
            log.warn("{} sent unusable knock_room_state for {}: {}", server, roomId, e.getMessage());
            state = List.of();
        }
        List<Map<String, Object>> withKnock = new ArrayList<>(state);
        withKnock.add(StrippedState.strip(knock.json()));
        return new Knocked(server, knock, withKnock);
    }

    private Pdu leaveVia(String server, String userId, String roomId, Map<String, Object> content)
            throws Failover.TryNext {
        String path = "/_matrix/federation/v1/make_leave/" + FederationClient.pathSegment(roomId) + "/"
                + FederationClient.pathSegment(userId);
        Map<String, Object> answer = Failover.object(server, "make_leave", "leave", () -> client.get(server, path));
        RoomVersion version = version(server, answer);
        Pdu leave = signTemplate(server, "make_leave", answer, roomId, userId, "leave", content, version);
        String target = FederationClient.pathSegment(roomId) + "/" + FederationClient.pathSegment(leave.eventId());
        Failover.call(server, "send_leave", "leave", () -> {
            try {
                return client.put(server, "/_matrix/federation/v2/send_leave/" + target, leave.json());
            } catch (FederationErrorResponseException e) {
                if ((e.status() == 404 || e.status() == 405) && (e.errcode() == null
                        || Errcode.UNRECOGNIZED.equals(e.errcode()))) {
                    // A server from before v2 send_leave.
                    return client.put(server, "/_matrix/federation/v1/send_leave/" + target, leave.json());
                }
                throw e;
            }
        });
        return leave;
    }

    private static RoomVersion version(String server, Map<String, Object> answer) {
        return RoomVersions.byId(Json.string(answer, "room_version").orElse("1"))
                .orElseThrow(() -> new MatrixException(400, Errcode.INCOMPATIBLE_ROOM_VERSION, server
                        + " offered room version " + answer.get("room_version") + ", which this server does not support"));
    }

    /**
     * Checks a make_ template (spec knocks.yaml: room, sender, state_key, type and membership
     * must be what we asked for, else the answer is discarded) and signs our event from it.
     */
    private Pdu signTemplate(String server, String step, Map<String, Object> answer, String roomId, String userId,
                             String membership, Map<String, Object> content, RoomVersion version)
            throws Failover.TryNext {
        Map<String, Object> template = Json.object(answer, "event");
        String problem = null;
        if (template.isEmpty()) {
            problem = "no event";
        } else if (!roomId.equals(template.get("room_id"))) {
            problem = "room_id is " + template.get("room_id");
        } else if (!"m.room.member".equals(template.get("type"))) {
            problem = "type is " + template.get("type");
        } else if (!userId.equals(template.get("sender")) || !userId.equals(template.get("state_key"))) {
            problem = "sender and state_key must both be " + userId;
        } else if (!membership.equals(Json.object(template, "content").get("membership"))) {
            problem = "membership is not " + membership;
        }
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
            return localEvents.sign(event, version);
        } catch (RuntimeException e) {
            throw new Failover.TryNext(new JoinAttempt(server, step, 200, null, "unusable template: " + e.getMessage()));
        }
    }
}
