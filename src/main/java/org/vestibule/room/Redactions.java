package org.vestibule.room;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.vestibule.auth.PowerLevels;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;

/**
 * Redactions taking effect (spec rooms v3+ "Handling redactions", client-server §Redactions): once
 * a redaction and the event it names are both stored, and the redaction is valid — its sender may
 * redact (power level at the redaction), or is of the redacted event's server — the event's stored
 * JSON becomes its redacted form. Room versions 1 and 2 check this in the auth rules already.
 */
@Component
public class Redactions {

    private static final Logger log = LoggerFactory.getLogger(Redactions.class);

    private final JdbcTemplate jdbc;
    private final EventGraph graph;

    Redactions(JdbcTemplate jdbc, EventGraph graph) {
        this.jdbc = jdbc;
        this.graph = graph;
    }

    /**
     * Called in the transaction that stored an event that passed its checks: records a redaction
     * and applies it if its target is here; applies redactions that were waiting for this event.
     *
     * @param waitingRedactions the IDs of redactions of this event stored before it and not yet applied
     */
    void onStored(Pdu event, List<String> waitingRedactions) {
        Optional<String> redacts = event.redacts();
        if (redacts.isPresent()) {
            jdbc.update("insert into redactions (redaction_id, redacts, room_id) values (?, ?, ?) on conflict do nothing",
                    event.eventId(), redacts.get(), event.roomId());
            graph.event(redacts.get()).ifPresent(target -> apply(event, target));
        }
        for (String waiting : waitingRedactions) {
            graph.event(waiting).ifPresent(redaction -> apply(redaction, event));
        }
    }

    /** The redactions in effect on these events, by redacted event ID. */
    public Map<String, Pdu> redactionsOf(Collection<String> eventIds) {
        if (eventIds.isEmpty()) {
            return Map.of();
        }
        Map<String, String> byTarget = new HashMap<>();
        jdbc.query("select redacts, redaction_id from redactions where redacts = any(?) and applied",
                rs -> {
                    byTarget.putIfAbsent(rs.getString(1), rs.getString(2));
                }, (Object) eventIds.toArray(new String[0]));
        if (byTarget.isEmpty()) {
            return Map.of();
        }
        Map<String, Pdu> redactions = graph.events(new ArrayList<>(byTarget.values()));
        Map<String, Pdu> out = new HashMap<>();
        byTarget.forEach((target, redaction) -> {
            Pdu r = redactions.get(redaction);
            if (r != null) {
                out.put(target, r);
            }
        });
        return out;
    }

    /** The events as clients and peers may see them: the redacted form of those a redaction took effect on. */
    public List<Pdu> asSeen(Collection<Pdu> events) {
        Map<String, Pdu> redacted = redactionsOf(events.stream().map(Pdu::eventId).toList());
        List<Pdu> out = new ArrayList<>(events.size());
        for (Pdu p : events) {
            out.add(redacted.containsKey(p.eventId()) ? p.redacted() : p);
        }
        return out;
    }

    private void apply(Pdu redaction, Pdu target) {
        if (!redaction.roomId().equals(target.roomId())) {
            log.info("Ignoring redaction {}: it names {} of another room", redaction.eventId(), target.eventId());
            return;
        }
        if (!valid(redaction, target)) {
            log.info("Not applying redaction {} of {}: its sender may not redact it", redaction.eventId(),
                    target.eventId());
            return;
        }
        Pdu redacted = target.redacted();
        jdbc.update("update events set json = ? where event_id = ?", redacted.canonicalBytes(), target.eventId());
        jdbc.update("update redactions set applied = true where redaction_id = ?", redaction.eventId());
        graph.cache(redacted);
    }

    private boolean valid(Pdu redaction, Pdu target) {
        RoomVersion version = redaction.roomVersion();
        if (version.redactionAuthRule()) {
            return true; // v1–v2: the auth rules checked the sender's power or server when the redaction was stored
        }
        String server = Identifiers.serverOf(redaction.sender()).orElse("");
        if (server.equals(Identifiers.serverOf(target.sender()).orElse(null))) {
            return true;
        }
        Map<StateKey, Pdu> state = graph.stateBefore(redaction.eventId())
                .map(s -> graph.stateEvents(s, List.of(StateKey.CREATE, StateKey.POWER_LEVELS))).orElse(Map.of());
        PowerLevels levels = PowerLevels.fromState(version, state);
        return levels.userLevel(redaction.sender()) >= levels.redact();
    }
}
