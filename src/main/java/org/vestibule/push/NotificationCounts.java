package org.vestibule.push;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.vestibule.auth.PowerLevels;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.receipts.Receipts;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomSnapshot;

/**
 * {@code unread_notifications} of a joined room in /sync (spec client-server §Receiving
 * notifications): the events since the user last read the room that their push rules say notify,
 * and of those the ones that highlight. Evaluated when asked, over at most the last
 * {@value #MAX_EVALUATED} events, rather than stored per event and member.
 */
@Service
public class NotificationCounts {

    /** The counts of one room. */
    public record Counts(int notifications, int highlights) {
        public static final Counts NONE = new Counts(0, 0);

        public Map<String, Object> json() {
            return Map.of("notification_count", notifications, "highlight_count", highlights);
        }
    }

    static final int MAX_EVALUATED = 1_000;

    private final JdbcTemplate jdbc;
    private final EventGraph graph;
    private final LocalEvents localEvents;
    private final PushRules rules;
    private final Receipts receipts;

    NotificationCounts(JdbcTemplate jdbc, EventGraph graph, LocalEvents localEvents, PushRules rules, Receipts receipts) {
        this.receipts = receipts;
        this.jdbc = jdbc;
        this.graph = graph;
        this.localEvents = localEvents;
        this.rules = rules;
    }

    /** Rule set of a user, for counting several rooms with one read. */
    public PushRuleSet ruleSet(String userId) {
        return rules.ruleSet(userId);
    }

    /**
     * Counts after the user's read position in the room, up to stream position {@code upTo}: their
     * latest read receipt, or their latest event there if later (a client reads up to what it sends).
     */
    public Counts counts(String userId, String roomId, long upTo, PushRuleSet ruleSet) {
        Long own = jdbc.queryForObject("select max(stream_ordering) from events where room_id = ? and sender = ? and "
                + EventGraph.CLIENT_VISIBLE + " and stream_ordering <= ?", Long.class, roomId, userId, upTo);
        long read = Math.max(own == null ? -1 : own, receipts.readUpTo(userId, roomId));
        List<String> unread = jdbc.queryForList("select event_id from events where room_id = ? and sender <> ? and "
                + EventGraph.CLIENT_VISIBLE + " and stream_ordering > ? and stream_ordering <= ? "
                + "order by stream_ordering desc limit " + MAX_EVALUATED, String.class, roomId, userId,
                read, upTo);
        if (unread.isEmpty()) {
            return Counts.NONE;
        }
        RoomSnapshot snapshot = localEvents.snapshot(roomId);
        Map<StateKey, Pdu> state = graph.stateEvents(snapshot.state(), List.of(StateKey.CREATE, StateKey.POWER_LEVELS,
                StateKey.member(userId)));
        RoomVersion version = graph.roomVersion(roomId).orElse(null);
        if (version == null) {
            return Counts.NONE;
        }
        PowerLevels levels = PowerLevels.fromState(version, state);
        Pdu member = state.get(StateKey.member(userId));
        String displayname = member == null ? null : Json.string(member.content(), "displayname").orElse(null);
        Long joined = jdbc.queryForObject("select count(*) from room_memberships where room_id = ? and membership = 'join'",
                Long.class, roomId);
        PushRuleEvaluator.Context context = new PushRuleEvaluator.Context(userId, joined == null ? 0 : joined, levels,
                displayname);
        int notifications = 0;
        int highlights = 0;
        for (Pdu event : graph.events(new ArrayList<>(unread)).values()) {
            PushRuleEvaluator.Outcome outcome = PushRuleEvaluator.evaluate(ruleSet, eventJson(event), context);
            if (outcome.notifies()) {
                notifications++;
                if (outcome.highlights()) {
                    highlights++;
                }
            }
        }
        return new Counts(notifications, highlights);
    }

    /** The fields push rules match on, as the client format has them. */
    private static Map<String, Object> eventJson(Pdu pdu) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", pdu.type());
        e.put("content", pdu.content());
        e.put("sender", pdu.sender());
        e.put("room_id", pdu.roomId());
        e.put("event_id", pdu.eventId());
        if (pdu.isState()) {
            e.put("state_key", pdu.stateKey());
        }
        return e;
    }
}
