package org.vestibule.join;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.federation.PduChecks;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.keys.ServerKeyring;

/**
 * Joining a room hosted elsewhere (spec server-server §Joining Rooms, MSC3083): make_join on each
 * candidate in turn, moving on after 404 M_NOT_FOUND, 400 M_UNABLE_TO_AUTHORISE_JOIN /
 * M_UNABLE_TO_GRANT_JOIN, 5xx or no answer, stopping on any other 4xx; then send_join to the
 * server that answered, every returned event checked before anything is stored.
 */
@Service
public class RemoteJoins {

    private static final Logger log = LoggerFactory.getLogger(RemoteJoins.class);

    private final FederationClient client;
    private final PduChecks checks;
    private final JoinedRoomWriter writer;
    private final MembershipTemplates templates;
    private final ServerKeyring keyring;
    private final JoinProperties properties;

    RemoteJoins(FederationClient client, PduChecks checks, JoinedRoomWriter writer, MembershipTemplates templates,
                ServerKeyring keyring, JoinProperties properties) {
        this.properties = properties;
        this.client = client;
        this.checks = checks;
        this.writer = writer;
        this.templates = templates;
        this.keyring = keyring;
    }

    /** Joins a local user through the first candidate that can let them in, and returns the join event. */
    public Pdu join(String userId, String roomId, Collection<String> candidates, Map<String, Object> content) {
        return Failover.throughFirst("join", roomId, candidates, keyring.serverName(),
                server -> joinVia(server, userId, roomId, content));
    }

    private Pdu joinVia(String server, String userId, String roomId, Map<String, Object> content) throws Failover.TryNext {
        return joinWith(server, roomId, templates.make(server, "join", roomId, userId, content));
    }

    /** The send_join step, for a template made and signed already; tests hold two before either is sent. */
    Pdu joinWith(String server, String roomId, MembershipTemplates.Signed made) throws Failover.TryNext {
        RoomVersion version = made.version();
        Pdu join = made.event();
        String authoriser = Json.string(join.content(), "join_authorised_via_users_server").orElse(null);

        boolean omitMembers = properties.partialState();
        String sendPath = "/_matrix/federation/v2/send_join/" + FederationClient.pathSegment(roomId) + "/"
                + FederationClient.pathSegment(join.eventId()) + (omitMembers ? "?omit_members=true" : "");
        // The answer, a room's whole state, stays counted in the response memory until it is stored.
        try (FederationClient.HeldAnswers held = client.holdAnswers()) {
            return sendJoin(server, roomId, join, sendPath, authoriser, version, omitMembers);
        }
    }

    private Pdu sendJoin(String server, String roomId, Pdu join, String sendPath, String authoriser, RoomVersion version,
                         boolean omitMembers) throws Failover.TryNext {
        Map<String, Object> response = Failover.object(server, "send_join", "join", () -> client.put(server, sendPath, join.json()));
        Pdu accepted = checkReturnedEvent(server, join, response, authoriser, version);
        List<String> partialStateServers = partialStateServers(server, response, omitMembers);
        JoinedRoomWriter.CheckedAnswer checked;
        try {
            checked = writer.check(server, roomId, version, response);
        } catch (IllegalArgumentException e) {
            throw new Failover.TryNext(new JoinAttempt(server, "send_join", 200, null, "unusable answer: " + e.getMessage()));
        }
        try {
            return writer.persist(server, roomId, version, accepted, checked, partialStateServers);
        } catch (MatrixException e) {
            throw new Failover.TryNext(new JoinAttempt(server, "send_join", 200, null, e.getMessage()));
        }
    }

    /** The event the resident hands back must be ours, with the resident's signature when it authorised us. */
    private Pdu checkReturnedEvent(String server, Pdu ours, Map<String, Object> response, String authoriser,
                                   RoomVersion version) throws Failover.TryNext {
        Map<String, Object> returned = Json.object(response, "event");
        if (returned.isEmpty()) {
            if (authoriser != null) {
                throw new Failover.TryNext(new JoinAttempt(server, "send_join", 200, null,
                        "no signed event came back, though the join is authorised by " + authoriser));
            }
            return ours;
        }
        PduChecks.Result result = checks.check(returned, version, server);
        if (!(result instanceof PduChecks.Result.Accepted accepted) || accepted.redacted()
                || !accepted.pdu().eventId().equals(ours.eventId())) {
            throw new Failover.TryNext(new JoinAttempt(server, "send_join", 200, null, "the returned join event is not ours "
                    + "or is not validly signed" + (result instanceof PduChecks.Result.Dropped d ? ": " + d.reason() : "")));
        }
        return accepted.pdu();
    }

    /**
     * For an answer with members_omitted, where to fetch the full state later: the resident that
     * answered, then its servers_in_room; null for a full answer.
     */
    private List<String> partialStateServers(String server, Map<String, Object> response, boolean requested)
            throws Failover.TryNext {
        if (!Boolean.TRUE.equals(response.get("members_omitted"))) {
            return null;
        }
        // Synapse's checks on the joining side: only when asked for, and naming where to resync from.
        if (!requested) {
            throw new Failover.TryNext(new JoinAttempt(server, "send_join", 200, null,
                    "members were omitted though we did not ask for that"));
        }
        List<String> servers = new ArrayList<>();
        servers.add(server);
        for (Object o : Json.list(response, "servers_in_room")) {
            if (o instanceof String s && !servers.contains(s) && !keyring.isOurs(s)) {
                servers.add(s);
            }
        }
        if (Json.list(response, "servers_in_room").isEmpty()) {
            throw new Failover.TryNext(new JoinAttempt(server, "send_join", 200, null,
                    "members_omitted is true but servers_in_room is missing or empty"));
        }
        return servers;
    }
}
