package org.vestibule.invite;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.AccountService;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.EventFormatException;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationErrorResponseException;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.federation.outbound.FederationResponse;
import org.vestibule.keys.EventSignatureVerifier;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.ratelimit.RateLimits;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventPersister;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.OutOfBandMemberships;
import org.vestibule.room.PersistOutcome;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.ServerAcls;
import org.vestibule.room.StrippedState;

/**
 * Invites across servers (spec server-server §Inviting to a room): our user invites a user of
 * another server, whose server must sign the invite before it enters the room; and the other
 * way round, another server asks us to sign an invite of one of our users, which we keep as an
 * out-of-band membership (we are usually not in the room) so the user can join through the
 * inviter's server or reject the invite with make_leave/send_leave.
 */
@Service
public class Invites {

    private static final Logger log = LoggerFactory.getLogger(Invites.class);

    private final LocalEvents localEvents;
    private final StrippedState strippedState;
    private final FederationClient client;
    private final EventSignatureVerifier signatures;
    private final ServerKeyring keyring;
    private final RoomMemberships memberships;
    private final OutOfBandMemberships outOfBand;
    private final AccountService accounts;
    private final EventGraph graph;
    private final ServerAcls acls;
    private final RateLimits limits;
    private final EventPersister persister;

    Invites(LocalEvents localEvents, StrippedState strippedState, FederationClient client,
            EventSignatureVerifier signatures, ServerKeyring keyring, RoomMemberships memberships,
            OutOfBandMemberships outOfBand, AccountService accounts, EventGraph graph, ServerAcls acls,
            RateLimits limits, EventPersister persister) {
        this.acls = acls;
        this.persister = persister;
        this.limits = limits;
        this.localEvents = localEvents;
        this.strippedState = strippedState;
        this.client = client;
        this.signatures = signatures;
        this.keyring = keyring;
        this.memberships = memberships;
        this.outOfBand = outOfBand;
        this.accounts = accounts;
        this.graph = graph;
    }

    // ---- Our user invites someone ----

    /**
     * {@code POST /rooms/{roomId}/invite}: a local invitee's member event carries their displayname;
     * a remote invitee's server must sign the invite first. Counted by rc_invites per room, per
     * invitee and per inviter.
     */
    public Pdu invite(String roomId, String sender, String target, String reason) {
        if (graph.roomVersion(roomId).isEmpty()) {
            throw MatrixException.notFound("Unknown room " + roomId);
        }
        if (!Identifiers.isUserId(target)) {
            throw MatrixException.invalidParam("'" + target + "' is not a valid user ID");
        }
        limits.invite(roomId, sender, target);
        return send(roomId, sender, target, reason, false);
    }

    /**
     * Counts a createRoom request's {@code invite} list against rc_invites.per_room before the room
     * is made, as Synapse does (and nothing else: its invites are then sent unlimited).
     */
    public void countInvitesAtCreation(String sender, List<String> targets) {
        limits.invitesAtCreation(sender, targets);
    }

    /**
     * Sends a new room's createRoom invites, counted already by {@link #countInvitesAtCreation}; with
     * {@code is_direct} each invite says so (spec client-server, createRoom).
     */
    public void inviteAtCreation(String roomId, String sender, List<String> targets, boolean isDirect) {
        for (String target : targets) {
            send(roomId, sender, target, null, isDirect);
        }
    }

    private Pdu send(String roomId, String sender, String target, String reason, boolean isDirect) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("membership", "invite");
        if (reason != null) {
            content.put("reason", reason);
        }
        if (isDirect) {
            content.put("is_direct", true);
        }
        if (!keyring.isOurs(Identifiers.serverOf(target).orElse(""))) {
            return inviteRemote(roomId, sender, target, content);
        }
        accounts.displayname(target).ifPresent(d -> content.put("displayname", d));
        return localEvents.send(roomId, sender, "m.room.member", target, content);
    }

    /**
     * Builds the invite, has the invitee's server sign it ({@code PUT /v2/invite}, falling back to
     * v1 for rooms of version 1 or 2), checks that signature, then stores the invite and sends it
     * to the room. Refusals of the invitee's server reach the client with their status and errcode.
     */
    private Pdu inviteRemote(String roomId, String sender, String target, Map<String, Object> content) {
        String server = Identifiers.serverOf(target).orElseThrow(() -> MatrixException.invalidParam(target
                + " is not a user ID"));
        // We send nothing of the room to a server its ACL denies (it could not join anyway).
        acls.refusal(server, roomId).ifPresent(why -> {
            throw MatrixException.forbidden("Cannot invite " + target + ": " + why);
        });
        Pdu invite = localEvents.build(roomId, sender, "m.room.member", target, content);
        RoomVersion version = invite.roomVersion();
        List<Map<String, Object>> roomState = strippedState.pdus(localEvents.snapshot(roomId).state(), sender);
        Map<String, Object> answer = sendInvite(server, invite, version, roomState);
        Pdu signed = countersigned(server, invite, answer);
        // The invitee's server has the invite already; it hears of it again only if it is in the room.
        Set<String> except = memberships.isServerJoined(roomId, server) ? Set.of() : Set.of(server);
        return localEvents.commit(signed, except);
    }

    private Map<String, Object> sendInvite(String server, Pdu invite, RoomVersion version,
                                           List<Map<String, Object>> roomState) {
        String path = FederationClient.pathSegment(invite.roomId()) + "/" + FederationClient.pathSegment(invite.eventId());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("room_version", version.id());
        body.put("event", invite.json());
        body.put("invite_room_state", roomState);
        try {
            try {
                return client.put(server, "/_matrix/federation/v2/invite/" + path, body).object();
            } catch (FederationErrorResponseException e) {
                if (!isUnknownEndpoint(e)) {
                    throw e;
                }
                if (!version.hasExplicitEventIds()) {
                    throw new MatrixException(400, Errcode.UNSUPPORTED_ROOM_VERSION, server
                            + " does not support invites to rooms of version " + version.id());
                }
                // An old server: v1 takes the event itself, the room state in unsigned, and answers [200, {...}].
                Map<String, Object> v1 = new LinkedHashMap<>(invite.json());
                v1.put("unsigned", Map.of("invite_room_state", roomState));
                FederationResponse r = client.put(server, "/_matrix/federation/v1/invite/" + path, v1);
                if (r.json() instanceof List<?> pair && pair.size() == 2 && pair.get(1) instanceof Map<?, ?>) {
                    return Json.object(Map.of("a", pair.get(1)), "a");
                }
                throw new MatrixException(502, Errcode.UNKNOWN, server + " answered the v1 invite with something "
                        + "other than [200, {\"event\": ...}]");
            }
        } catch (FederationErrorResponseException e) {
            String errcode = e.errcode() == null ? Errcode.UNKNOWN : e.errcode();
            String message = server + " refused the invite: " + (e.error() == null ? "status " + e.status() : e.error());
            if (e.status() == 400 && (Errcode.INVALID_PARAM.equals(errcode) || Errcode.MISSING_PARAM.equals(errcode))) {
                // Spec invites-v2: a client request fails with 5xx rather than passing these through.
                throw new MatrixException(502, Errcode.UNKNOWN, message + " (" + errcode + ")");
            }
            if (e.status() >= 500) {
                throw new MatrixException(502, Errcode.UNKNOWN, message);
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            if (e.json() != null && e.json().get("room_version") instanceof String v) {
                extra.put("room_version", v);
            }
            throw new MatrixException(e.status(), errcode, message, extra);
        } catch (FederationException e) {
            throw new MatrixException(502, Errcode.UNKNOWN, "Could not reach " + server + " to invite: " + e.getMessage());
        }
    }

    /** 404 or 405 M_UNRECOGNIZED (or no Matrix error at all): the peer has no such endpoint. */
    private static boolean isUnknownEndpoint(FederationErrorResponseException e) {
        return (e.status() == 404 || e.status() == 405 || e.status() == 400)
                && (Errcode.UNRECOGNIZED.equals(e.errcode()) || (e.errcode() == null && e.status() != 400));
    }

    /** Our invite with the invitee server's signatures added, once they check out. */
    private Pdu countersigned(String server, Pdu ours, Map<String, Object> answer) {
        Map<String, Object> returned = Json.object(answer, "event");
        Pdu theirs;
        try {
            theirs = Pdu.fromJson(returned, ours.roomVersion());
        } catch (EventFormatException | IllegalArgumentException e) {
            throw new MatrixException(502, Errcode.UNKNOWN, server + " returned an invalid invite event: " + e.getMessage());
        }
        if (!unsigned(theirs).equals(unsigned(ours))) {
            throw new MatrixException(502, Errcode.UNKNOWN, server + " returned an invite that differs from ours "
                    + "beyond its signatures");
        }
        Map<String, Object> theirSignatures = Json.object(Json.object(theirs.json(), "signatures"), server);
        Pdu signed = ours;
        for (Map.Entry<String, Object> s : theirSignatures.entrySet()) {
            if (s.getValue() instanceof String sig) {
                signed = signed.withSignature(server, s.getKey(), sig);
            }
        }
        if (signatures.verify(signed, Set.of(server)) instanceof EventSignatureVerifier.Result.Invalid invalid) {
            throw new MatrixException(502, Errcode.UNKNOWN, server + " did not sign the invite validly: "
                    + invalid.reason());
        }
        return signed;
    }

    private static String unsigned(Pdu pdu) {
        Map<String, Object> copy = new LinkedHashMap<>(pdu.json());
        copy.remove("signatures");
        return CanonicalJson.encodeToString(copy);
    }

    // ---- Another server invites one of our users ----

    /** {@code PUT /v2/invite}: the body has room_version, event and invite_room_state. */
    public Map<String, Object> receiveV2(String origin, String roomId, String eventId, Map<String, Object> body) {
        Object versionId = body.get("room_version");
        if (versionId == null) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "room_version is required");
        }
        if (!(versionId instanceof String id)) {
            throw MatrixException.badJson("room_version must be a string");
        }
        RoomVersion version = RoomVersions.byId(id).orElseThrow(() -> new MatrixException(400,
                Errcode.INCOMPATIBLE_ROOM_VERSION, "This server does not support room version " + id,
                Map.of("room_version", id)));
        if (!(body.get("event") instanceof Map<?, ?>)) {
            throw new MatrixException(400, body.containsKey("event") ? Errcode.BAD_JSON : Errcode.MISSING_PARAM,
                    "event must be the invite event");
        }
        Object state = body.get("invite_room_state");
        if (state != null && !(state instanceof List<?>)) {
            throw MatrixException.badJson("invite_room_state must be an array");
        }
        return receive(origin, roomId, eventId, version, Json.object(body, "event"), Json.list(body, "invite_room_state"));
    }

    /**
     * In a room we are in, the invite is stored as its event now rather than once the inviter's /send
     * brings it, so the invitee can accept or refuse it at once (Complement found that gap); false
     * when we are not in the room or the room does not take it as it stands.
     */
    private boolean storedInTheRoom(Pdu invite) {
        if (graph.roomVersion(invite.roomId()).isEmpty() || !memberships.isServerJoined(invite.roomId(), keyring.serverName())) {
            return false;
        }
        PersistOutcome outcome = persister.persist(invite);
        return outcome instanceof PersistOutcome.Stored stored && !stored.softFailed()
                || outcome instanceof PersistOutcome.Duplicate && !graph.isRejected(invite.eventId());
    }

    /** {@code PUT /v1/invite}: the body is the event; the room is taken to be of version 1 (spec; as Synapse). */
    public Map<String, Object> receiveV1(String origin, String roomId, String eventId, Map<String, Object> event) {
        List<Object> state = Json.list(Json.object(event, "unsigned"), "invite_room_state");
        return receive(origin, roomId, eventId, RoomVersions.byId("1").orElseThrow(), event, state);
    }

    private Map<String, Object> receive(String origin, String roomId, String eventId, RoomVersion version,
                                        Map<String, Object> json, List<Object> inviteRoomState) {
        Pdu event;
        try {
            event = Pdu.fromJson(json, version);
        } catch (EventFormatException e) {
            throw MatrixException.badJson("The invite event is malformed: " + e.getMessage());
        }
        // Spec invites-v2: M_INVALID_PARAM for each of these.
        if (!roomId.equals(event.roomId())) {
            throw MatrixException.invalidParam("The event's room_id " + event.roomId() + " is not " + roomId);
        }
        if (!eventId.equals(event.eventId())) {
            throw MatrixException.invalidParam("The path names event " + eventId + " but the event's ID is "
                    + event.eventId());
        }
        if (!"m.room.member".equals(event.type()) || !"invite".equals(event.membership().orElse(null))) {
            throw MatrixException.invalidParam("Expected an m.room.member invite event");
        }
        if (!origin.equals(event.senderServer())) {
            throw MatrixException.invalidParam("The sender " + event.sender() + " is not a user of the requesting "
                    + "server " + origin);
        }
        String target = event.stateKey();
        if (!Identifiers.isUserId(target) || !keyring.isOurs(Identifiers.serverOf(target).orElse(""))) {
            throw MatrixException.invalidParam("The invited user " + target + " is not a user of this server");
        }
        if (!event.contentHashMatches()) {
            throw MatrixException.invalidParam("The invite's content hash does not match its content");
        }
        if (signatures.verify(event) instanceof EventSignatureVerifier.Result.Invalid invalid) {
            throw MatrixException.invalidParam("The invite's signature does not check: " + invalid.reason());
        }
        List<Map<String, Object>> state;
        try {
            state = new ArrayList<>(strippedState.check(version, roomId, inviteRoomState));
        } catch (IllegalArgumentException e) {
            throw MatrixException.invalidParam("invite_room_state: " + e.getMessage());
        }
        // Not in the spec's list; Synapse signs invites for anyone. We say the user does not exist.
        if (!accounts.exists(target)) {
            throw MatrixException.notFound("There is no user " + target + " on this server");
        }
        limits.inviteReceived(target);
        Pdu signed = EventSigning.addSignature(event, keyring.serverName(), keyring.signingKey());
        if (storedInTheRoom(signed)) {
            log.info("{} invited {} to {}, a room we are in (event {})", event.sender(), target, roomId, event.eventId());
            return Map.of("event", signed.json());
        }
        state.add(StrippedState.strip(signed.json()));
        outOfBand.put(target, signed, state, List.of(origin));
        log.info("{} invited {} to {} (event {})", event.sender(), target, roomId, event.eventId());
        return Map.of("event", signed.json());
    }
}
