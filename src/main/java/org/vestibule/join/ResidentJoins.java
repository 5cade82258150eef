package org.vestibule.join;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.auth.AuthResult;
import org.vestibule.auth.StateKey;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.EventFormatException;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.EventSignatureVerifier;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.ratelimit.RateLimits;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventPersister;
import org.vestibule.room.EventRelay;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomSnapshot;
import org.vestibule.room.RoomState;
import org.vestibule.room.StrippedState;

/**
 * The resident side of joins and leaves (spec server-server §Joining Rooms, §Leaving Rooms,
 * §Restricted rooms): another server asks to join one of our rooms, we answer with a template,
 * then accept the signed event, countersign it, and hand back the room's state.
 */
@Service
public class ResidentJoins {

    /** What send_join answers (the v1 and v2 endpoints wrap it differently). */
    public record SendJoinAnswer(List<Pdu> state, List<Pdu> authChain, Pdu event, boolean membersOmitted,
                                 List<String> serversInRoom) {

        /**
         * The answer as JSON bytes, each event written from its stored canonical bytes: a big room's
         * answer is thousands of events, and re-serialising them all would dominate send_join.
         *
         * @param v1 the deprecated v1 form, {@code [200, {...}]}, without the partial-state fields
         */
        public byte[] toJsonBytes(boolean v1) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(
                    64 + 1024 * (state.size() + authChain.size()));
            write(out, v1 ? "[200,{\"auth_chain\":[" : "{\"auth_chain\":[");
            writeEvents(out, authChain);
            write(out, "],\"event\":");
            out.writeBytes(event.canonicalBytes());
            if (!v1) {
                write(out, ",\"members_omitted\":" + membersOmitted);
                if (membersOmitted) {
                    write(out, ",\"servers_in_room\":");
                    out.writeBytes(CanonicalJson.encode(serversInRoom));
                }
            }
            write(out, ",\"state\":[");
            writeEvents(out, state);
            write(out, v1 ? "]}]" : "]}");
            return out.toByteArray();
        }

        private static void writeEvents(ByteArrayOutputStream out, List<Pdu> events) {
            for (int i = 0; i < events.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                out.writeBytes(events.get(i).canonicalBytes());
            }
        }

        private static void write(ByteArrayOutputStream out, String ascii) {
            out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private final EventGraph graph;
    private final LocalEvents localEvents;
    private final EventPersister persister;
    private final RoomMemberships memberships;
    private final JoinEligibility eligibility;
    private final EventSignatureVerifier signatures;
    private final ServerKeyring keyring;
    private final JoinProperties properties;
    private final MeterRegistry meters;
    private final EventRelay relay;
    private final StrippedState strippedState;
    private final RateLimits limits;
    private final TransactionTemplate tx;

    ResidentJoins(EventGraph graph, LocalEvents localEvents, EventPersister persister, RoomMemberships memberships,
                  JoinEligibility eligibility, EventSignatureVerifier signatures, ServerKeyring keyring,
                  JoinProperties properties, MeterRegistry meters, EventRelay relay, StrippedState strippedState,
                  RateLimits limits, TransactionTemplate tx) {
        this.limits = limits;
        this.graph = graph;
        this.localEvents = localEvents;
        this.persister = persister;
        this.memberships = memberships;
        this.eligibility = eligibility;
        this.signatures = signatures;
        this.keyring = keyring;
        this.properties = properties;
        this.meters = meters;
        this.relay = relay;
        this.strippedState = strippedState;
        this.tx = tx;
    }

    /**
     * {@code GET /make_join}: the join template, or the errcode table's refusal (the server ACL was
     * checked before, by the federation interceptor). 429 while the room has seen too many joins.
     */
    public Map<String, Object> makeJoin(String origin, String roomId, String userId, Collection<String> supportedVersions) {
        Resident resident = residentRoom(roomId);
        RoomVersion version = requireOffered(resident, supportedVersions);
        limits.checkJoinsInRoom(roomId);
        requireUserOfOrigin(userId, origin);
        RoomSnapshot snapshot = resident.snapshot();
        refuseBanned(roomId, userId, snapshot);
        JoinDecision decision = eligibility.decide(version, snapshot, userId);
        count("make_join", decision);
        return membershipTemplate(resident, userId, "join", authoriserOrThrow(decision));
    }

    /** The room's version, if the asking server listed it (make_join, make_knock). */
    private static RoomVersion requireOffered(Resident resident, Collection<String> supportedVersions) {
        RoomVersion version = resident.version();
        if (!supportedVersions.contains(version.id())) {
            throw new MatrixException(400, Errcode.INCOMPATIBLE_ROOM_VERSION, "Room " + resident.roomId() + " is version "
                    + version.id() + ", which your server did not list as supported", Map.of("room_version", version.id()));
        }
        return version;
    }

    /** {@code PUT /send_join} (v1 and v2). */
    public SendJoinAnswer sendJoin(String origin, String roomId, String eventId, byte[] body, boolean omitMembers) {
        return tx.execute(status -> {
            limits.checkJoinsInRoom(roomId);
            Resident resident = residentRoom(roomId);
            RoomVersion version = resident.version();
            Pdu event = parseMembershipEvent(origin, roomId, eventId, body, version, "join");
            RoomSnapshot snapshot = resident.snapshot();
            refuseBanned(roomId, event.sender(), snapshot);
            // Membership may have changed since make_join: decide again.
            JoinDecision decision = eligibility.decide(version, snapshot, event.sender());
            count("send_join", decision);
            authoriserOrThrow(decision);
            String named = Json.string(event.content(), "join_authorised_via_users_server").orElse(null);
            if (named != null) {
                String namedServer = Identifiers.serverOf(named).orElse("");
                if (!keyring.isOurs(namedServer)) {
                    throw MatrixException.invalidParam("join_authorised_via_users_server names " + named
                            + ", who is not a user of this server; send the join to " + namedServer + " instead");
                }
            }
            // The spec has the resident sign every join it accepts; for restricted joins the
            // authoriser's signature is also what auth rule 4.2 requires, so it comes before storing.
            Pdu signed = EventSigning.addSignature(event, keyring.serverName(), keyring.signingKey());
            RoomState before = snapshot.state();
            List<String> serversBefore = omitMembers ? List.copyOf(snapshot.joinedServers()) : List.of();
            persister.persistOrRefuse(signed);
            relay.relay(signed, localEvents.snapshot(roomId).joinedServers(), Set.of(origin));
            limits.joinedRoom(roomId);
            return answer(roomId, signed, before, omitMembers, serversBefore);
        });
    }

    /** {@code GET /make_leave}. */
    public Map<String, Object> makeLeave(String origin, String roomId, String userId) {
        Resident resident = residentRoom(roomId);
        RoomVersion version = resident.version();
        requireUserOfOrigin(userId, origin);
        return membershipTemplate(resident, userId, "leave", null);
    }

    /** {@code PUT /send_leave} (v1 and v2). */
    public void sendLeave(String origin, String roomId, String eventId, byte[] body) {
        tx.executeWithoutResult(status -> {
            RoomVersion version = residentRoom(roomId).version();
            Pdu event = parseMembershipEvent(origin, roomId, eventId, body, version, "leave");
            persister.persistOrRefuse(event);
            relay.relay(event, localEvents.snapshot(roomId).joinedServers(), Set.of(origin));
        });
    }

    /**
     * {@code GET /make_knock} (spec server-server §Knocking upon a room): a template when the
     * room's join rule lets users knock (knock from v7, knock_restricted from v10) and the user is
     * not joined, invited or banned; 403 M_FORBIDDEN otherwise.
     */
    public Map<String, Object> makeKnock(String origin, String roomId, String userId, Collection<String> supportedVersions) {
        Resident resident = residentRoom(roomId);
        RoomVersion version = requireOffered(resident, supportedVersions);
        requireUserOfOrigin(userId, origin);
        RoomSnapshot snapshot = resident.snapshot();
        refuseKnock(version, roomId, userId, snapshot.state());
        return membershipTemplate(resident, userId, "knock", null);
    }

    /**
     * {@code PUT /send_knock}: stores the knock, sends it to the room's other servers and answers
     * the room's stripped state (as PDUs, create event included, spec v1.16).
     */
    public Map<String, Object> sendKnock(String origin, String roomId, String eventId, byte[] body) {
        return tx.execute(status -> {
            RoomVersion version = residentRoom(roomId).version();
            Pdu event = parseMembershipEvent(origin, roomId, eventId, body, version, "knock");
            RoomSnapshot snapshot = localEvents.snapshot(roomId);
            refuseKnock(version, roomId, event.sender(), snapshot.state());
            persister.persistOrRefuse(event);
            relay.relay(event, localEvents.snapshot(roomId).joinedServers(), Set.of(origin));
            return Map.of("knock_room_state", strippedState.pdus(snapshot.state(), null));
        });
    }

    /** The refusals of knocks.yaml and the client-server §Knocking rules, each with its reason. */
    private void refuseKnock(RoomVersion version, String roomId, String userId, RoomState state) {
        if (!version.knock()) {
            throw MatrixException.forbidden("Room " + roomId + " is version " + version.id()
                    + ", which does not support knocking");
        }
        Map<StateKey, Pdu> events = graph.stateEvents(state, List.of(StateKey.JOIN_RULES, StateKey.member(userId)));
        Pdu joinRules = events.get(StateKey.JOIN_RULES);
        Object rule = joinRules == null ? null : joinRules.content().get("join_rule");
        if (!(rule instanceof String r) || !version.isKnockJoinRule(r)) {
            throw MatrixException.forbidden("Room " + roomId + " does not accept knocks: its join rule is " + rule
                    + (version.knockRestricted() ? "; knocking needs knock or knock_restricted" : "; knocking needs knock"));
        }
        Pdu member = events.get(StateKey.member(userId));
        String membership = member == null ? null : member.membership().orElse(null);
        if ("ban".equals(membership)) {
            throw MatrixException.forbidden(userId + " is banned from " + roomId);
        }
        if ("join".equals(membership) || "invite".equals(membership)) {
            throw MatrixException.forbidden(userId + " cannot knock on " + roomId + ": already "
                    + ("join".equals(membership) ? "joined" : "invited"));
        }
    }

    private Pdu parseMembershipEvent(String origin, String roomId, String eventId, byte[] body, RoomVersion version,
                                     String membership) {
        Pdu event;
        try {
            event = Pdu.parse(body, version);
        } catch (EventFormatException e) {
            throw MatrixException.badJson("The " + membership + " event is malformed: " + e.getMessage());
        }
        if (!roomId.equals(event.roomId())) {
            throw MatrixException.invalidParam("The event's room_id " + event.roomId() + " is not " + roomId);
        }
        if (!eventId.equals(event.eventId())) {
            throw MatrixException.invalidParam("The path names event " + eventId + " but the event's ID is "
                    + event.eventId());
        }
        if (!"m.room.member".equals(event.type())) {
            throw MatrixException.invalidParam("Expected an m.room.member event, not " + event.type());
        }
        String actual = event.membership().orElse(null);
        if (!membership.equals(actual)) {
            throw MatrixException.invalidParam("Expected membership '" + membership + "', not '" + actual + "'");
        }
        if (!event.sender().equals(event.stateKey())) {
            throw MatrixException.invalidParam("The state_key " + event.stateKey() + " must equal the sender "
                    + event.sender());
        }
        if (!origin.equals(event.senderServer())) {
            throw MatrixException.invalidParam("The sender " + event.sender() + " is not a user of the requesting server "
                    + origin);
        }
        if (!event.contentHashMatches()) {
            throw MatrixException.invalidParam("The event's content hash does not match its content");
        }
        EventSignatureVerifier.Result sig = signatures.verify(event, Set.of(event.senderServer()));
        if (sig instanceof EventSignatureVerifier.Result.Invalid invalid) {
            throw MatrixException.invalidParam("The event's signature does not check: " + invalid.reason());
        }
        return event;
    }

    private SendJoinAnswer answer(String roomId, Pdu join, RoomState before, boolean omitMembers,
                                  List<String> serversInRoom) {
        Set<String> stateIds = new LinkedHashSet<>();
        if (omitMembers) {
            boolean named = before.contains(StateKey.NAME) || before.contains(StateKey.CANONICAL_ALIAS);
            Set<String> heroes = named ? Set.of() : heroes(roomId, join.sender());
            before.forEach((key, id) -> {
                if (!"m.room.member".equals(key.type()) || heroes.contains(key.stateKey())
                        || key.stateKey().equals(join.sender())) {
                    stateIds.add(id);
                }
            });
        } else {
            before.forEach((key, id) -> stateIds.add(id));
        }
        Set<String> authChain;
        if (omitMembers) {
            List<String> chainStart = new ArrayList<>(stateIds);
            chainStart.add(join.eventId());
            authChain = new LinkedHashSet<>(graph.authChain(chainStart));
            authChain.removeAll(stateIds);
        } else {
            // The whole state's chain is kept per room and grows with it; the join adds its own.
            authChain = new LinkedHashSet<>(graph.stateAuthChain(roomId, before));
            authChain.addAll(graph.authChain(List.of(join.eventId())));
        }
        Map<String, Pdu> events = graph.events(union(stateIds, authChain));
        List<Pdu> state = new ArrayList<>();
        for (String id : stateIds) {
            Pdu p = events.get(id);
            if (p != null) {
                state.add(p);
            }
        }
        List<Pdu> chain = new ArrayList<>();
        for (String id : authChain) {
            Pdu p = events.get(id);
            if (p != null) {
                chain.add(p);
            }
        }
        return new SendJoinAnswer(state, chain, join, omitMembers, serversInRoom);
    }

    /** The room summary's heroes (spec client-server §Room summary): up to 5 other members, by user ID. */
    private Set<String> heroes(String roomId, String joiner) {
        return new HashSet<>(memberships.heroes(roomId, joiner));
    }

    private static Set<String> union(Collection<String> a, Collection<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    /** The room's version, if we are in it; otherwise 404 (we cannot help with a room we are not in). */
    private record Resident(String roomId, RoomVersion version, RoomSnapshot snapshot) {}

    private Resident residentRoom(String roomId) {
        RoomVersion version = graph.roomVersion(roomId).orElse(null);
        if (version == null) {
            throw MatrixException.notFound("Room " + roomId + " is unknown to this server");
        }
        RoomSnapshot snapshot = localEvents.snapshot(roomId);
        if (!snapshot.isJoined(keyring.serverName())) {
            throw MatrixException.notFound("This server is no longer in room " + roomId);
        }
        if (snapshot.partialState()) {
            // Our state lacks most members until the resync completes; 404 sends the joiner elsewhere (as Synapse).
            throw MatrixException.notFound("This server is still fetching the full state of room " + roomId
                    + "; join through another server");
        }
        return new Resident(roomId, version, snapshot);
    }

    private static void requireUserOfOrigin(String userId, String origin) {
        if (!Identifiers.isUserId(userId)) {
            throw MatrixException.invalidParam("'" + userId + "' is not a valid user ID");
        }
        if (!origin.equals(Identifiers.serverOf(userId).orElse(null))) {
            throw MatrixException.forbidden("User " + userId + " is not a user of the requesting server " + origin);
        }
    }

    private void refuseBanned(String roomId, String userId, RoomSnapshot snapshot) {
        String memberEvent = snapshot.state().get(StateKey.member(userId));
        String membership = memberEvent == null ? null
                : graph.event(memberEvent).flatMap(Pdu::membership).orElse(null);
        if ("ban".equals(membership)) {
            throw MatrixException.forbidden(userId + " is banned from " + roomId);
        }
    }

    /** The authoriser an Allowed decision names (or null), else the errcode table's refusal. */
    private String authoriserOrThrow(JoinDecision decision) {
        MatrixException refusal = decision.refusal(properties.errcodeProfile());
        if (refusal != null) {
            throw refusal;
        }
        return ((JoinDecision.Allowed) decision).authoriser();
    }

    /**
     * The make_join/make_leave/make_knock answer: a member event template on the room's current
     * state and extremities, refused with 403 and the rule when the auth rules would not allow it.
     */
    private Map<String, Object> membershipTemplate(Resident resident, String userId, String membership,
                                                   String authoriser) {
        RoomVersion version = resident.version();
        // Past 20 forks the template could not name them all, nor the joiner's state hold them.
        RoomSnapshot snapshot = localEvents.mergedForTemplate(resident.snapshot());
        String roomId = resident.roomId();
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("membership", membership);
        if (authoriser != null) {
            content.put("join_authorised_via_users_server", authoriser);
        }
        Map<String, Object> template = localEvents.template(roomId, version, snapshot, userId, "m.room.member", userId,
                content);
        template.put("origin", keyring.serverName());
        // Room versions 1 and 2: the joining server names the event on its own domain.
        template.remove("event_id");
        AuthResult auth = checkTemplate(template, version, snapshot.state(), userId, authoriser);
        if (auth instanceof AuthResult.Rejected r) {
            throw MatrixException.forbidden("The room's rules do not let " + userId + " " + membership + " " + roomId
                    + ": " + r.reason() + " (auth rule " + r.rule() + ")");
        }
        return Map.of("room_version", version.id(), "event", template);
    }

    /** Runs the auth rules on an unsigned template, as if its sender's and authoriser's servers had signed it. */
    private AuthResult checkTemplate(Map<String, Object> template, RoomVersion version, RoomState state, String userId,
                                     String authoriser) {
        Map<String, Object> probe = Json.mutableCopy(template);
        String userServer = Identifiers.serverOf(userId).orElseThrow();
        if (version.hasExplicitEventIds()) {
            probe.put("event_id", "$template:" + userServer);
        }
        probe.put("hashes", Map.of("sha256", "AAAA"));
        Map<String, Object> sigs = new LinkedHashMap<>();
        sigs.put(userServer, Map.of("ed25519:probe", "AAAA"));
        if (authoriser != null) {
            sigs.put(Identifiers.serverOf(authoriser).orElseThrow(), Map.of("ed25519:probe", "AAAA"));
        }
        probe.put("signatures", sigs);
        Pdu pdu = Pdu.templateForAuthCheck(probe, version);
        return persister.checkAgainstState(pdu, state);
    }

    private void count(String endpoint, JoinDecision decision) {
        meters.counter("vestibule.join.decisions", "endpoint", endpoint, "outcome", decision.outcome()).increment();
    }

}
