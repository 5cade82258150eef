package org.vestibule.federation;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.vestibule.auth.StateKey;
import org.vestibule.error.DatabaseUnavailable;
import org.vestibule.error.MatrixException;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.EventIds;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.ratelimit.RateLimits;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventPersister;
import org.vestibule.room.OutOfBandMemberships;
import org.vestibule.room.PersistOutcome;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.ServerAcls;

/**
 * {@code PUT /_matrix/federation/v1/send/{txnId}} (spec server-server §Transactions): each PDU
 * checked and persisted on its own, missing prev events fetched with get_missing_events (bounded)
 * or, past a gap, the state before the event with /state_ids; unknown auth events with
 * /event_auth. The answer gives each PDU's result; a retried transaction gets the same answer.
 * The origin's PDUs and room EDUs for a room whose server ACL denies it are refused one by one,
 * before any other work on them (spec server-server §Server Access Control Lists).
 */
@Service
public class IncomingTransactions {

    private static final Logger log = LoggerFactory.getLogger(IncomingTransactions.class);
    public static final int MAX_PDUS = 50;
    public static final int MAX_EDUS = 100;
    private static final int MISSING_EVENTS_LIMIT = 20;

    private final EventGraph graph;
    private final EventPersister persister;
    private final RoomMemberships memberships;
    private final PduChecks checks;
    private final FederationClient client;
    private final ServerKeyring keyring;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final OutOfBandMemberships outOfBand;
    private final ServerAcls acls;
    private final RateLimits limits;
    private final ObjectProvider<EduReceiver> eduReceivers;
    private volatile Map<String, EduReceiver> eduReceiversByType;

    IncomingTransactions(EventGraph graph, EventPersister persister, RoomMemberships memberships, PduChecks checks,
                         FederationClient client, ServerKeyring keyring, JdbcTemplate jdbc, Clock clock,
                         OutOfBandMemberships outOfBand, ServerAcls acls, RateLimits limits,
                         ObjectProvider<EduReceiver> eduReceivers) {
        this.acls = acls;
        this.limits = limits;
        this.graph = graph;
        this.persister = persister;
        this.memberships = memberships;
        this.checks = checks;
        this.client = client;
        this.keyring = keyring;
        this.jdbc = jdbc;
        this.clock = clock;
        this.outOfBand = outOfBand;
        this.eduReceivers = eduReceivers;
    }

    public Map<String, Object> receive(String origin, String txnId, Map<String, Object> body) {
        List<byte[]> earlier = jdbc.queryForList("select response from federation_inbound_transactions where origin = ? "
                + "and txn_id = ?", byte[].class, origin, txnId);
        if (!earlier.isEmpty()) {
            return StrictJsonParser.parseObject(earlier.get(0), StrictJsonParser.Limits.REQUEST);
        }
        if (!(body.get("pdus") instanceof List<?> pdus)) {
            throw MatrixException.badJson("A transaction needs a 'pdus' array");
        }
        List<Object> edus = Json.list(body, "edus");
        if (pdus.size() > MAX_PDUS || edus.size() > MAX_EDUS) {
            throw MatrixException.badJson("A transaction carries at most " + MAX_PDUS + " PDUs and " + MAX_EDUS
                    + " EDUs; this one has " + pdus.size() + " and " + edus.size());
        }
        Map<String, Object> results = new LinkedHashMap<>();
        for (Object o : pdus) {
            if (!(o instanceof Map<?, ?> m)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) m;
            String[] id = {Json.string(json, "event_id").orElse(null)};
            String error;
            try {
                error = receivePdu(origin, json, id);
            } catch (RuntimeException e) {
                if (DatabaseUnavailable.causedBy(e)) {
                    // Not a per-PDU error the sender would take as final: fail the whole transaction (503) so it
                    // is sent again once the database is back, instead of recording it done without this PDU.
                    throw e;
                }
                log.warn("Processing a PDU from {} failed", origin, e);
                error = "internal error processing the event";
            }
            if (id[0] != null) {
                results.put(id[0], error == null ? Map.of() : Map.of("error", error));
            }
        }
        // After the PDUs, so that a receipt may name an event of the same transaction; only those the
        // rooms' server ACLs let through.
        List<Map<String, Object>> allowedEdus = RoomEdus.allowed(edus, roomId -> acls.allows(origin, roomId));
        if (allowedEdus.size() < edus.size()) {
            log.info("Dropped {} EDUs from {} for rooms whose server ACL denies it", edus.size() - allowedEdus.size(),
                    origin);
        }
        receiveEdus(origin, allowedEdus);
        Map<String, Object> response = Map.of("pdus", results);
        jdbc.update("insert into federation_inbound_transactions (origin, txn_id, response, received_ts) values (?, ?, ?, ?) "
                + "on conflict do nothing", origin, txnId, CanonicalJson.encode(response), clock.millis());
        return response;
    }

    /** Hands each EDU to the feature that takes its type; those no feature takes (device lists, to-device) are ignored. */
    private void receiveEdus(String origin, List<? extends Map<String, Object>> edus) {
        for (Object o : edus) {
            if (!(o instanceof Map<?, ?> edu) || !(edu.get("edu_type") instanceof String type)
                    || !(edu.get("content") instanceof Map<?, ?>)) {
                continue;
            }
            EduReceiver receiver = eduReceivers().get(type);
            if (receiver == null) {
                continue;
            }
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> content = (Map<String, Object>) edu.get("content");
                receiver.receive(origin, content);
            } catch (RuntimeException e) {
                // One bad EDU must not fail the transaction: its PDUs are already in.
                log.warn("Processing a {} EDU from {} failed", type, origin, e);
            }
        }
    }

    /** Looked up on first use: the features' receivers may themselves need federation beans. */
    private Map<String, EduReceiver> eduReceivers() {
        Map<String, EduReceiver> byType = eduReceiversByType;
        if (byType == null) {
            Map<String, EduReceiver> found = new HashMap<>();
            eduReceivers.orderedStream().forEach(r -> found.put(r.eduType(), r));
            eduReceiversByType = byType = Map.copyOf(found);
        }
        return byType;
    }

    /** Processes one PDU; returns null when accepted, else why not. */
    private String receivePdu(String origin, Map<String, Object> json, String[] id) {
        String roomId = Json.string(json, "room_id").orElse(null);
        RoomVersion version = roomId == null ? null : graph.roomVersion(roomId).orElse(null);
        if (version != null) {
            String denied = acls.refusal(origin, roomId).orElse(null);
            if (denied != null) {
                id[0] = eventIdOf(json, version, id[0]);
                return denied;
            }
        }
        if (version == null || !memberships.isServerJoined(roomId, keyring.serverName())) {
            return endsOutOfBandMembership(roomId, json, id) ? null : "this server is not in room " + roomId;
        }
        PduChecks.Result result = checks.check(json, version, origin);
        if (result instanceof PduChecks.Result.Dropped d) {
            if (!"(unknown)".equals(d.eventId())) {
                id[0] = d.eventId();
            }
            return d.reason();
        }
        Pdu pdu = ((PduChecks.Result.Accepted) result).pdu();
        id[0] = pdu.eventId();
        String error = persistFillingGaps(origin, pdu, 0);
        if (error == null && "m.room.member".equals(pdu.type()) && "join".equals(pdu.membership().orElse(null))) {
            limits.joinedRoom(roomId); // rc_joins_per_room counts joins from every server
        }
        return error;
    }

    /** A refused PDU's ID without checking anything else about it: the reference hash, or v1's event_id. */
    private static String eventIdOf(Map<String, Object> json, RoomVersion version, String given) {
        try {
            return EventIds.compute(json, version);
        } catch (RuntimeException e) { // malformed beyond hashing: keep the event_id it gave, if any
            return given;
        }
    }

    /**
     * In a room we are not in, the one event we take is a leave that ends a local user's pending
     * invite (rescinded by its sender) or knock (refused): it must be validly signed and name that
     * invite or knock among its auth events. We cannot check the sender's power without the
     * room's state, so, like Synapse for invites, we trust the invite's own sender; for knocks,
     * whoever the resident let kick.
     */
    private boolean endsOutOfBandMembership(String roomId, Map<String, Object> json, String[] id) {
        if (roomId == null || !"m.room.member".equals(json.get("type")) || !(json.get("state_key") instanceof String target)
                || !keyring.isOurs(Identifiers.serverOf(target).orElse(""))) {
            return false;
        }
        OutOfBandMemberships.Entry pending = outOfBand.pending(roomId, target).orElse(null);
        if (pending == null) {
            return false;
        }
        if (!(checks.check(json, pending.roomVersion()) instanceof PduChecks.Result.Accepted accepted)
                || accepted.redacted()) {
            return false;
        }
        Pdu leave = accepted.pdu();
        id[0] = leave.eventId();
        if (!"leave".equals(leave.membership().orElse(null)) || !leave.authEvents().contains(pending.eventId())
                || ("invite".equals(pending.membership()) && !leave.sender().equals(pending.sender()))) {
            return false;
        }
        outOfBand.end(leave);
        log.info("{}'s {} in {} ended by {} ({})", target, pending.membership(), roomId, leave.sender(), leave.eventId());
        return true;
    }

    private String persistFillingGaps(String origin, Pdu pdu, int depth) {
        PersistOutcome outcome = persister.persist(pdu);
        if (outcome instanceof PersistOutcome.MissingEvents missing) {
            if (!missing.missingAuthEvents().isEmpty()) {
                fetchAuthChain(origin, pdu);
            }
            if (!missing.missingPrevEvents().isEmpty() && depth == 0) {
                fetchMissingPrevEvents(origin, pdu);
            }
            outcome = persister.persist(pdu);
            if (outcome instanceof PersistOutcome.MissingEvents stillMissing) {
                if (!stillMissing.missingAuthEvents().isEmpty()) {
                    return "auth events unavailable: " + stillMissing.missingAuthEvents();
                }
                if (depth > 0) {
                    return "prev events unavailable: " + stillMissing.missingPrevEvents();
                }
                outcome = persistWithRemoteState(origin, pdu);
            }
        }
        if (outcome instanceof PersistOutcome.Rejected r) {
            return "rejected by the auth rules: " + r.reason();
        }
        return outcome instanceof PersistOutcome.MissingEvents m ? "missing events: " + m : null;
    }

    /** Fetches the event's whole auth chain from the origin and stores what checks out, as outliers. */
    private void fetchAuthChain(String origin, Pdu pdu) {
        try {
            Map<String, Object> answer = client.get(origin, "/_matrix/federation/v1/event_auth/"
                    + FederationClient.pathSegment(pdu.roomId()) + "/" + FederationClient.pathSegment(pdu.eventId())).object();
            persister.persistOutliers(checked(origin, Json.list(answer, "auth_chain"), pdu.roomVersion(), pdu.roomId()));
        } catch (FederationException e) {
            log.info("Fetching the auth chain of {} from {} failed: {}", pdu.eventId(), origin, e.getMessage());
        }
    }

    /** get_missing_events back to our extremities, then persists what came, oldest first. */
    private void fetchMissingPrevEvents(String origin, Pdu pdu) {
        List<String> earliest = new ArrayList<>(graph.forwardExtremities(pdu.roomId()));
        Map<String, Object> request = Map.of("limit", (long) MISSING_EVENTS_LIMIT, "min_depth", 0L,
                "earliest_events", earliest, "latest_events", List.of(pdu.eventId()));
        try {
            Map<String, Object> answer = client.post(origin, "/_matrix/federation/v1/get_missing_events/"
                    + FederationClient.pathSegment(pdu.roomId()), request).object();
            List<Pdu> events = checked(origin, Json.list(answer, "events"), pdu.roomVersion(), pdu.roomId());
            events.sort((a, b) -> Long.compare(a.depth(), b.depth()));
            for (Pdu e : events) {
                persistFillingGaps(origin, e, 1);
            }
        } catch (FederationException e) {
            log.info("get_missing_events for {} from {} failed: {}", pdu.eventId(), origin, e.getMessage());
        }
    }

    /** Past a gap: the state before the event as the origin has it (/state_ids), then the event on top. */
    private PersistOutcome persistWithRemoteState(String origin, Pdu pdu) {
        try {
            Map<String, Object> ids = client.get(origin, "/_matrix/federation/v1/state_ids/"
                    + FederationClient.pathSegment(pdu.roomId()) + "?event_id=" + FederationClient.pathSegment(pdu.eventId()))
                    .object();
            List<String> wanted = new ArrayList<>();
            for (String key : List.of("pdu_ids", "auth_chain_ids")) {
                for (Object o : Json.list(ids, key)) {
                    if (o instanceof String s) {
                        wanted.add(s);
                    }
                }
            }
            Set<String> known = graph.events(wanted).keySet();
            List<Object> fetched = new ArrayList<>();
            for (String id : wanted) {
                if (!known.contains(id)) {
                    Map<String, Object> answer = client.get(origin, "/_matrix/federation/v1/event/"
                            + FederationClient.pathSegment(id)).object();
                    fetched.addAll(Json.list(answer, "pdus"));
                }
            }
            persister.persistOutliers(checked(origin, fetched, pdu.roomVersion(), pdu.roomId()));
            Map<StateKey, String> state = new HashMap<>();
            Map<String, Pdu> stateEvents = graph.events(Json.list(ids, "pdu_ids").stream()
                    .filter(String.class::isInstance).map(String.class::cast).toList());
            for (Pdu p : stateEvents.values()) {
                if (p.isState() && !graph.isRejected(p.eventId())) {
                    state.put(StateKey.of(p), p.eventId());
                }
            }
            return persister.persistAfterGap(pdu, state);
        } catch (FederationException e) {
            return new PersistOutcome.MissingEvents(Set.of(), Set.copyOf(pdu.prevEvents()));
        }
    }

    private List<Pdu> checked(String origin, List<Object> raw, RoomVersion version, String roomId) {
        List<Pdu> out = new ArrayList<>();
        for (Object o : raw) {
            if (o instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                PduChecks.Result r = checks.check((Map<String, Object>) m, version, origin);
                if (r instanceof PduChecks.Result.Accepted a && roomId.equals(a.pdu().roomId())) {
                    out.add(a.pdu());
                }
            }
        }
        return out;
    }
}
