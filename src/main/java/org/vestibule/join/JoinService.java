package org.vestibule.join;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.AccountService;
import org.vestibule.directory.RoomAliases;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.ratelimit.RateLimits;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.OutOfBandMemberships;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomSnapshot;
import org.vestibule.room.ServerAcls;

/** Our users joining and leaving rooms. */
@Service
public class JoinService {

    private static final Logger log = LoggerFactory.getLogger(JoinService.class);

    private final EventGraph graph;
    private final LocalEvents localEvents;
    private final RoomMemberships memberships;
    private final JoinEligibility eligibility;
    private final ServerKeyring keyring;
    private final AccountService accounts;
    private final RemoteJoins remoteJoins;
    private final RoomAliases aliases;
    private final OutOfBandMemberships outOfBand;
    private final RemoteMemberships remoteMemberships;
    private final RateLimits limits;
    private final ServerAcls acls;

    JoinService(EventGraph graph, LocalEvents localEvents, RoomMemberships memberships, JoinEligibility eligibility,
                ServerKeyring keyring, AccountService accounts, RemoteJoins remoteJoins, RoomAliases aliases,
                OutOfBandMemberships outOfBand, RemoteMemberships remoteMemberships, RateLimits limits,
                ServerAcls acls) {
        this.limits = limits;
        this.acls = acls;
        this.graph = graph;
        this.localEvents = localEvents;
        this.memberships = memberships;
        this.eligibility = eligibility;
        this.keyring = keyring;
        this.accounts = accounts;
        this.remoteJoins = remoteJoins;
        this.aliases = aliases;
        this.outOfBand = outOfBand;
        this.remoteMemberships = remoteMemberships;
    }

    /** A room to join or knock on, and the servers the client or the alias named, in order. */
    public record Target(String roomId, List<String> servers) {}

    /**
     * Resolves a room ID or alias from a client. For an alias, its server comes first among the
     * candidates, then the servers the alias lookup named, then the client's.
     */
    public Target target(String roomIdOrAlias, List<String> servers) {
        if (roomIdOrAlias.startsWith("#")) {
            RoomAliases.Resolved resolved = aliases.resolve(roomIdOrAlias);
            LinkedHashSet<String> candidates = new LinkedHashSet<>();
            Identifiers.serverOf(roomIdOrAlias).ifPresent(candidates::add);
            candidates.addAll(resolved.servers());
            candidates.addAll(servers);
            return new Target(resolved.roomId(), new ArrayList<>(candidates));
        }
        if (!Identifiers.isRoomIdOfAnyVersion(roomIdOrAlias)) {
            throw MatrixException.invalidParam("'" + roomIdOrAlias + "' is not a room ID or alias");
        }
        return new Target(roomIdOrAlias, servers);
    }

    /**
     * Joins a local user to a room (here or through other servers) and returns the room ID. A user
     * not joined yet is counted by rc_joins (local or remote) and refused while the room has seen
     * too many joins (rc_joins_per_room); a join that is only a profile change is not.
     */
    public String join(String userId, String roomIdOrAlias, List<String> requestedServers, String reason) {
        Target target = target(roomIdOrAlias, requestedServers);
        String roomId = target.roomId();
        List<String> servers = target.servers();
        Map<String, Object> content = new LinkedHashMap<>(accounts.memberContent(userId));
        content.put("membership", "join");
        if (reason != null) {
            content.put("reason", reason);
        }
        RoomVersion version = graph.roomVersion(roomId).orElse(null);
        if (version == null || !memberships.isServerJoined(roomId, keyring.serverName())) {
            limits.join(userId, roomId, true);
            remoteJoins.join(userId, roomId, candidates(roomId, userId, servers, List.of()), content);
            limits.joinedRoom(roomId);
            outOfBand.remove(roomId, userId);
            return roomId;
        }
        boolean alreadyJoined = "join".equals(memberships.membershipOf(roomId, userId).orElse(null));
        if (alreadyJoined && isCurrentJoin(roomId, userId, content)) {
            // Joined already with this very content: nothing to send (Synapse answers so too).
            return roomId;
        }
        RoomSnapshot snapshot = localEvents.snapshot(roomId);
        JoinDecision decision = eligibility.decide(version, snapshot, userId);
        if (decision instanceof JoinDecision.UnableToGrant) {
            // We are in the room but none of our users may authorise: ask servers whose users can.
            if (!alreadyJoined) {
                limits.join(userId, roomId, true);
            }
            remoteJoins.join(userId, roomId, candidates(roomId, userId, servers,
                    eligibility.serversWithInviters(version, snapshot.state())), content);
            limits.joinedRoom(roomId);
            outOfBand.remove(roomId, userId);
            return roomId;
        }
        if (!alreadyJoined) {
            limits.join(userId, roomId, false);
        }
        MatrixException refusal = decision.refusal(JoinProperties.ErrcodeProfile.SPEC);
        if (refusal != null) {
            throw MatrixException.forbidden(refusal.getMessage());
        }
        String authoriser = ((JoinDecision.Allowed) decision).authoriser();
        if (authoriser != null) {
            content.put("join_authorised_via_users_server", authoriser);
        }
        localEvents.send(roomId, userId, "m.room.member", userId, content);
        limits.joinedRoom(roomId);
        outOfBand.remove(roomId, userId);
        return roomId;
    }

    /** Whether the user's current membership is their own join with exactly this content. */
    private boolean isCurrentJoin(String roomId, String userId, Map<String, Object> content) {
        return memberships.find(roomId, userId).filter(m -> userId.equals(m.sender()))
                .flatMap(m -> graph.event(m.eventId())).filter(e -> content.equals(e.content())).isPresent();
    }

    /**
     * Servers to try, each once: the client's; the room ID's domain (before v12's hash IDs) only
     * when the client named none, since a client that names servers means those (Complement's
     * "via [hs2] alone fails"); the server of whoever invited the user (also when the invite came
     * to us out of band, and the servers it named); then any extra ones. In a room we know, servers
     * its server ACL denies are left out: we ask nothing of the room of them.
     */
    private List<String> candidates(String roomId, String userId, List<String> requested, List<String> extra) {
        LinkedHashSet<String> servers = new LinkedHashSet<>(requested);
        if (requested.isEmpty()) {
            Identifiers.serverOf(roomId).ifPresent(servers::add);
        }
        memberships.find(roomId, userId).filter(m -> "invite".equals(m.membership()))
                .flatMap(m -> Identifiers.serverOf(m.sender())).ifPresent(servers::add);
        outOfBand.find(roomId, userId).filter(m -> "invite".equals(m.membership())).ifPresent(m -> {
            Identifiers.serverOf(m.sender()).ifPresent(servers::add);
            servers.addAll(m.servers());
        });
        servers.addAll(extra);
        servers.removeIf(server -> !acls.allows(server, roomId));
        return new ArrayList<>(servers);
    }

    /**
     * A local user leaves a room (or rejects an invite, or rescinds a knock). In a room this server
     * is not in, an invite or knock is undone through another server with make_leave/send_leave;
     * when none will take the leave (gone, or out of the room), it is made here alone, so the user
     * is never stuck with an invite they cannot refuse.
     */
    public void leave(String userId, String roomId, String reason) {
        boolean resident = graph.roomVersion(roomId).isPresent()
                && memberships.isServerJoined(roomId, keyring.serverName());
        if (!resident) {
            OutOfBandMemberships.Entry pending = outOfBand.pending(roomId, userId).orElse(null);
            if (pending != null) {
                Map<String, Object> content = new LinkedHashMap<>();
                if (reason != null) {
                    content.put("reason", reason);
                }
                Pdu leave;
                try {
                    leave = remoteMemberships.leave(userId, roomId, pending.candidates(), content);
                } catch (MatrixException e) {
                    log.info("No server of {} took {}'s leave ({}); leaving on this server alone", roomId, userId,
                            e.getMessage());
                    leave = localEvents.outOfBandLeave(pending.event(), content);
                }
                outOfBand.end(leave);
                return;
            }
        }
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
