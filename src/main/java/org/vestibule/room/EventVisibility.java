package org.vestibule.room;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;
import org.vestibule.auth.HistoryVisibility;
import org.vestibule.auth.HistoryVisibility.AtEvent;
import org.vestibule.auth.HistoryVisibility.Setting;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;

/**
 * The history visibility rule ({@link HistoryVisibility}) applied to stored events: it looks up
 * the setting and the viewer's memberships in the state at each event, and every read path asks it
 * (/sync, /messages, /event and /context for users; /backfill, /event and get_missing_events for
 * servers). Only the two slots the rule needs are read of each state, so a page of events costs a
 * query or two whatever the room's size.
 */
@Component
public class EventVisibility {

    private final EventGraph graph;
    private final EventRows rows;
    private final StateGroups stateGroups;

    EventVisibility(EventGraph graph, EventRows rows, StateGroups stateGroups) {
        this.graph = graph;
        this.rows = rows;
        this.stateGroups = stateGroups;
    }

    /**
     * The events (of one room) a user may see, in the order given. An event with no state of its
     * own (an outlier) only when it is the user's own member event, as Synapse.
     *
     * @param peeking the user reads a room they are not in (a {@code world_readable} one)
     */
    public List<Pdu> visibleTo(String userId, List<Pdu> events, boolean peeking) {
        if (events.isEmpty()) {
            return events;
        }
        StateKey member = StateKey.member(userId);
        Map<String, EventRows.StateGroupsOf> groupsOf = groupsOf(events);
        Set<Long> groups = new HashSet<>();
        for (Pdu p : events) {
            EventRows.StateGroupsOf g = groupsOf.get(p.eventId());
            if (g == null || g.stateAfter() == null) {
                continue;
            }
            groups.add(g.stateAfter());
            if (special(p, userId) && g.stateBefore() != null) {
                groups.add(g.stateBefore());
            }
        }
        Map<Long, Map<StateKey, String>> slots = stateGroups.lookup(groups, List.of(StateKey.HISTORY_VISIBILITY, member));
        Set<String> slotEvents = new HashSet<>();
        slots.values().forEach(m -> slotEvents.addAll(m.values()));
        Map<String, Pdu> slotPdus = graph.events(slotEvents);

        List<Pdu> out = new ArrayList<>(events.size());
        for (Pdu p : events) {
            boolean own = p.isStateOf("m.room.member", userId);
            EventRows.StateGroupsOf g = groupsOf.get(p.eventId());
            if (g == null || g.stateAfter() == null) {
                if (own) {
                    out.add(p);
                }
                continue;
            }
            Map<StateKey, String> after = slots.getOrDefault(g.stateAfter(), Map.of());
            Map<StateKey, String> before = g.stateBefore() == null ? after : slots.getOrDefault(g.stateBefore(), after);
            AtEvent at = new AtEvent(p.isStateOf(StateKey.HISTORY_VISIBILITY.type(), ""), own,
                    setting(before, slotPdus), setting(after, slotPdus),
                    membership(before.get(member), slotPdus), membership(after.get(member), slotPdus));
            if (HistoryVisibility.userMaySee(at, peeking)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Whether a user may see one event. */
    public boolean maySee(String userId, Pdu event, boolean peeking) {
        return !visibleTo(userId, List.of(event), peeking).isEmpty();
    }

    /**
     * The events as a server may have them: each one it may not see in its redacted form, which
     * keeps the graph whole for it (Synapse's {@code filter_events_for_server} with redact). An
     * event with no state of its own counts as visible, as Synapse: there is nothing to judge by.
     */
    public List<Pdu> asSeenBy(String server, List<Pdu> events) {
        if (events.isEmpty()) {
            return events;
        }
        Map<String, EventRows.StateGroupsOf> groupsOf = groupsOf(events);
        Set<Long> groups = new HashSet<>();
        groupsOf.values().forEach(g -> {
            if (g.stateAfter() != null) {
                groups.add(g.stateAfter());
            }
        });
        Map<Long, Boolean> visible = serverMaySee(server, groups);
        List<Pdu> out = new ArrayList<>(events.size());
        for (Pdu p : events) {
            EventRows.StateGroupsOf g = groupsOf.get(p.eventId());
            boolean ok = g == null || g.stateAfter() == null || visible.getOrDefault(g.stateAfter(), true);
            out.add(ok ? p : p.redacted());
        }
        return out;
    }

    /**
     * Whether a server's users could see anything before an event, judged by the state before it:
     * what backfill from that point would bring is worth fetching only then (Synapse checks the
     * same before backfilling).
     */
    public boolean serverMaySeeBefore(String server, String eventId) {
        EventRows.StateGroupsOf g = rows.stateGroups(List.of(eventId)).stream().findFirst().orElse(null);
        if (g == null || g.stateBefore() == null) {
            return true;
        }
        return serverMaySee(server, Set.of(g.stateBefore())).getOrDefault(g.stateBefore(), true);
    }

    /** The setting in a state (for a room's current state: whether non-members may read it now). */
    public Setting setting(RoomState state) {
        String id = state.get(StateKey.HISTORY_VISIBILITY);
        if (id == null) {
            return Setting.SHARED;
        }
        return graph.event(id).map(p -> Setting.of(p.content().get("history_visibility"))).orElse(Setting.SHARED);
    }

    private Map<Long, Boolean> serverMaySee(String server, Collection<Long> groups) {
        Map<Long, Map<StateKey, String>> slots = stateGroups.lookup(groups, List.of(StateKey.HISTORY_VISIBILITY));
        Set<String> ids = new HashSet<>();
        slots.values().forEach(m -> ids.addAll(m.values()));
        Map<String, Pdu> settings = graph.events(ids);
        Map<Long, Boolean> out = new HashMap<>();
        for (Map.Entry<Long, Map<StateKey, String>> e : slots.entrySet()) {
            Setting setting = setting(e.getValue(), settings);
            if (setting == Setting.SHARED || setting == Setting.WORLD_READABLE) {
                out.put(e.getKey(), true);
                continue;
            }
            // Restricted history: the server's members in that state, which takes the whole state.
            List<String> memberIds = new ArrayList<>();
            stateGroups.load(e.getKey()).forEach((k, id) -> {
                if ("m.room.member".equals(k.type()) && server.equals(Identifiers.serverOf(k.stateKey()).orElse(null))) {
                    memberIds.add(id);
                }
            });
            List<String> memberships = new ArrayList<>();
            for (Pdu m : graph.events(memberIds).values()) {
                m.membership().ifPresent(memberships::add);
            }
            out.put(e.getKey(), HistoryVisibility.serverMaySee(setting, memberships));
        }
        return out;
    }

    private Map<String, EventRows.StateGroupsOf> groupsOf(List<Pdu> events) {
        Map<String, EventRows.StateGroupsOf> out = new HashMap<>();
        for (EventRows.StateGroupsOf g : rows.stateGroups(events.stream().map(Pdu::eventId).toList())) {
            out.put(g.eventId(), g);
        }
        return out;
    }

    private static boolean special(Pdu p, String userId) {
        return p.isStateOf(StateKey.HISTORY_VISIBILITY.type(), "") || p.isStateOf("m.room.member", userId);
    }

    private static Setting setting(Map<StateKey, String> slots, Map<String, Pdu> pdus) {
        String id = slots.get(StateKey.HISTORY_VISIBILITY);
        Pdu p = id == null ? null : pdus.get(id);
        return p == null ? Setting.SHARED : Setting.of(p.content().get("history_visibility"));
    }

    private static String membership(String memberEventId, Map<String, Pdu> pdus) {
        Pdu p = memberEventId == null ? null : pdus.get(memberEventId);
        return p == null ? null : p.membership().orElse(null);
    }
}
