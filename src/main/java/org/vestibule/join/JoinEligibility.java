package org.vestibule.join;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;
import org.vestibule.auth.PowerLevels;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomState;

/** Gathers what the restricted-join policy needs from our database and asks it. */
@Component
public class JoinEligibility {

    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final ServerKeyring keyring;
    private final org.springframework.jdbc.core.JdbcTemplate jdbc;

    JoinEligibility(EventGraph graph, RoomMemberships memberships, ServerKeyring keyring,
                    org.springframework.jdbc.core.JdbcTemplate jdbc) {
        this.graph = graph;
        this.memberships = memberships;
        this.keyring = keyring;
        this.jdbc = jdbc;
    }

    /** The decision for a user joining a room, given the room's current state. */
    public JoinDecision decide(RoomVersion version, RoomState state, String userId) {
        Map<StateKey, Pdu> events = graph.stateEvents(state,
                List.of(StateKey.CREATE, StateKey.POWER_LEVELS, StateKey.JOIN_RULES, StateKey.member(userId)));
        Pdu joinRules = events.get(StateKey.JOIN_RULES);
        Map<String, Object> joinRulesContent = joinRules == null ? Map.of() : joinRules.content();
        Pdu member = events.get(StateKey.member(userId));
        String membership = member == null ? null : member.membership().orElse(null);
        boolean local = keyring.isOurs(Identifiers.serverOf(userId).orElse(""));
        Object rule = joinRulesContent.get("join_rule");
        if (!(rule instanceof String r) || !version.isRestrictedJoinRule(r)
                || "join".equals(membership) || "invite".equals(membership)) {
            return new JoinDecision.Allowed(null, List.of());
        }
        List<String> allowed = RestrictedJoinPolicy.allowedRoomIds(joinRulesContent);
        Set<String> known = roomsWeAreIn(allowed);
        Set<String> userIn = known.isEmpty() ? Set.of() : new HashSet<>(memberships.joinedAmong(userId, known));
        RestrictedJoinPolicy.AllowedRooms lookup = (roomId, user) -> !known.contains(roomId)
                ? ConditionCheck.Status.UNKNOWN_ROOM
                : userIn.contains(roomId) ? ConditionCheck.Status.MEMBER : ConditionCheck.Status.NOT_MEMBER;
        return RestrictedJoinPolicy.decide(version, joinRulesContent, membership, userId, local, lookup,
                () -> inviters(version, state, events));
    }

    /** Local users joined to the room who can invite, highest power first. */
    List<String> inviters(RoomVersion version, RoomState state, Map<StateKey, Pdu> events) {
        PowerLevels levels = PowerLevels.fromState(version, events);
        List<String> local = new ArrayList<>(memberships.joinedUsersOf(roomIdOf(events, state), keyring.serverName()));
        List<String> able = new ArrayList<>();
        for (String u : local) {
            if (levels.canInvite(u)) {
                able.add(u);
            }
        }
        able.sort(Comparator.comparingLong(levels::userLevel).reversed().thenComparing(Comparator.naturalOrder()));
        return able;
    }

    /** Servers with a joined user able to invite, other than ours, in no particular order of preference. */
    public List<String> serversWithInviters(RoomVersion version, RoomState state) {
        Map<StateKey, Pdu> events = graph.stateEvents(state, List.of(StateKey.CREATE, StateKey.POWER_LEVELS));
        PowerLevels levels = PowerLevels.fromState(version, events);
        java.util.LinkedHashSet<String> servers = new java.util.LinkedHashSet<>();
        for (org.vestibule.room.RoomMembership m : memberships.findByRoomAndMembership(roomIdOf(events, state), "join")) {
            if (!keyring.isOurs(m.serverName()) && levels.canInvite(m.userId())) {
                servers.add(m.serverName());
            }
        }
        return new ArrayList<>(servers);
    }

    private static String roomIdOf(Map<StateKey, Pdu> events, RoomState state) {
        Pdu create = events.get(StateKey.CREATE);
        return create.roomId();
    }

    /** The rooms among these that we know and have a joined user in. */
    Set<String> roomsWeAreIn(Collection<String> roomIds) {
        if (roomIds.isEmpty()) {
            return Set.of();
        }
        String placeholders = String.join(",", java.util.Collections.nCopies(roomIds.size(), "?"));
        List<Object> args = new ArrayList<>(roomIds);
        args.add(keyring.serverName());
        return new HashSet<>(jdbc.queryForList("select distinct room_id from room_memberships where room_id in ("
                + placeholders + ") and server_name = ? and membership = 'join'", String.class, args.toArray()));
    }
}
