package org.vestibule.join;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.error.Errcode;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.keys.ServerKeyring;
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
    private final MembershipTemplates templates;
    private final StrippedState strippedState;
    private final ServerKeyring keyring;

    RemoteMemberships(FederationClient client, MembershipTemplates templates, StrippedState strippedState,
                      ServerKeyring keyring) {
        this.client = client;
        this.templates = templates;
        this.strippedState = strippedState;
        this.keyring = keyring;
    }

    /** Knocks through the first candidate that takes the knock. */
    public Knocked knock(String userId, String roomId, Collection<String> candidates, Map<String, Object> content) {
        return Failover.throughFirst("knock on", roomId, candidates, keyring.serverName(),
                server -> knockVia(server, userId, roomId, content));
    }

    /** Leaves (rejects an invite, rescinds a knock) through the first candidate that takes the leave. */
    public Pdu leave(String userId, String roomId, Collection<String> candidates, Map<String, Object> content) {
        return Failover.throughFirst("leave", roomId, candidates, keyring.serverName(),
                server -> leaveVia(server, userId, roomId, content));
    }

    private Knocked knockVia(String server, String userId, String roomId, Map<String, Object> content)
            throws Failover.TryNext {
        MembershipTemplates.Signed made = templates.make(server, "knock", roomId, userId, content);
        RoomVersion version = made.version();
        Pdu knock = made.event();
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
        Pdu leave = templates.make(server, "leave", roomId, userId, content).event();
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
}
