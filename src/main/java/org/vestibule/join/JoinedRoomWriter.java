package org.vestibule.join;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.auth.StateKey;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.federation.PduChecks;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventPersister;
import org.vestibule.room.PersistOutcome;
import org.vestibule.room.RoomJoinServers;

/**
 * Checks a send_join answer's state and auth chain, then stores the room, its state and our join
 * in one transaction. Events that fail their checks are left out; the join fails only when what
 * is left cannot carry it (no create event, or our join not allowed by it).
 */
@Component
class JoinedRoomWriter {

    private static final Logger log = LoggerFactory.getLogger(JoinedRoomWriter.class);

    /** A send_join answer whose events passed format, signature and hash checks. */
    record CheckedAnswer(List<Pdu> state, List<Pdu> authChain, int dropped) {}

    private final PduChecks checks;
    private final EventPersister persister;
    private final EventGraph graph;
    private final PartialStateResync resync;
    private final RoomJoinServers joinServers;
    private final Clock clock;
    private final TransactionTemplate tx;

    JoinedRoomWriter(PduChecks checks, EventPersister persister, EventGraph graph, PartialStateResync resync,
                     RoomJoinServers joinServers, Clock clock, TransactionTemplate tx) {
        this.joinServers = joinServers;
        this.clock = clock;
        this.checks = checks;
        this.persister = persister;
        this.graph = graph;
        this.resync = resync;
        this.tx = tx;
    }

    /** Checks every event of the answer; the signatures may need keys fetched, so no transaction yet. */
    CheckedAnswer check(String server, String roomId, RoomVersion version, Map<String, Object> response) {
        int dropped = 0;
        List<Pdu> state = new ArrayList<>();
        List<Pdu> authChain = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            List<Object> raw = Json.list(response, pass == 0 ? "state" : "auth_chain");
            List<Pdu> into = pass == 0 ? state : authChain;
            for (Object o : raw) {
                if (!(o instanceof Map<?, ?> m)) {
                    dropped++;
                    continue;
                }
                @SuppressWarnings("unchecked")
                PduChecks.Result r = checks.check((Map<String, Object>) m, version, server);
                if (r instanceof PduChecks.Result.Accepted a && roomId.equals(a.pdu().roomId())) {
                    into.add(a.pdu());
                } else {
                    dropped++;
                    if (r instanceof PduChecks.Result.Dropped d) {
                        log.info("Dropping {} from {}'s send_join answer: {}", d.eventId(), server, d.reason());
                    }
                }
            }
        }
        Pdu create = state.stream().filter(p -> p.isStateOf("m.room.create", "")).findFirst().orElse(null);
        if (create == null) {
            throw new IllegalArgumentException("the state has no valid m.room.create event");
        }
        String createVersion = Json.string(create.content(), "room_version").orElse("1");
        if (!createVersion.equals(version.id())) {
            throw new IllegalArgumentException("the create event says room version " + createVersion
                    + " but make_join said " + version.id());
        }
        for (Pdu p : authChain) {
            if (p.isStateOf("m.room.create", "") && !p.eventId().equals(create.eventId())) {
                throw new IllegalArgumentException("the auth chain holds a second create event " + p.eventId());
            }
        }
        return new CheckedAnswer(state, authChain, dropped);
    }

    /**
     * Stores the room, the checked events as outliers, and our join on top of the state (or beside
     * what we hold, when another of our users is in the room already: EventPersister.persistJoin);
     * records the resident it came from, the first server to ask for the room's history later.
     *
     * @param partialStateServers for an answer with members omitted, the servers to fetch the full
     *                            state from: the room is flagged and its resync starts once this
     *                            commits; null for a full answer
     */
    Pdu persist(String server, String roomId, RoomVersion version, Pdu join, CheckedAnswer answer,
                List<String> partialStateServers) {
        return tx.execute(status -> {
            Pdu create = answer.state().stream().filter(p -> p.isStateOf("m.room.create", "")).findFirst()
                    .orElseThrow();
            persister.ensureRoom(roomId, version, create.sender());
            List<Pdu> all = new ArrayList<>(answer.authChain());
            all.addAll(answer.state());
            Set<String> missing = persister.persistOutliers(all);
            if (!missing.isEmpty()) {
                log.info("Left out {} events of {} whose auth events we do not have", missing.size(), roomId);
            }
            Map<StateKey, String> state = new HashMap<>();
            for (Pdu p : answer.state()) {
                if (p.isState() && !missing.contains(p.eventId()) && !graph.isRejected(p.eventId())) {
                    state.put(StateKey.of(p), p.eventId());
                }
            }
            EventPersister.JoinPlaced placed = persister.persistJoin(join, state, partialStateServers);
            PersistOutcome outcome = placed.outcome();
            if (outcome instanceof PersistOutcome.Stored stored && !stored.softFailed()
                    || outcome instanceof PersistOutcome.Duplicate) {
                if (placed.startsResync()) {
                    resync.startAfterCommit(roomId);
                }
                joinServers.record(roomId, server, join.eventId(), clock.millis());
                return join;
            }
            // Throwing rolls back everything stored above.
            throw new MatrixException(502, "M_UNKNOWN",
                    "The room's state as the resident sent it does not allow our join: " + outcome.describe());
        });
    }

}
