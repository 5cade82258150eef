package org.vestibule.join;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
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
import org.vestibule.room.LocalEvents;
import org.vestibule.room.RoomMembership;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomSnapshot;
import org.vestibule.room.RoomState;

/** Gathers what the restricted-join policy needs from our database and asks it. */
@Component
public class JoinEligibility {

    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final ServerKeyring keyring;
    private final LocalEvents localEvents;

    JoinEligibility(EventGraph graph, RoomMemberships memberships, ServerKeyring keyring, LocalEvents localEvents) {
        this.graph = graph;
        this.memberships = memberships;
        this.keyring = keyring;
        this.localEvents = localEvents;
    }

    /**
     * The decision for a user joining a room, given the room's current snapshot. Everything comes
     * from room snapshots and cached events: one cheap version check per allowed room, no scans.
     */
    public JoinDecision decide(RoomVersion version, RoomSnapshot snapshot, String userId) {
        RoomState state = snapshot.state();
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
        return RestrictedJoinPolicy.decide(version, joinRulesContent, membership, userId, local, this::membershipOf,
                () -> inviters(version, snapshot, events));
    }

    /** Whether the user is joined to an allowed room, as far as we can tell from being in it. */
    private ConditionCheck.Status membershipOf(String allowedRoomId, String userId) {
        RoomSnapshot allowed = localEvents.findSnapshot(allowedRoomId).orElse(null);
        if (allowed == null || !allowed.isJoined(keyring.serverName())) {
            return ConditionCheck.Status.UNKNOWN_ROOM;
        }
        String memberEvent = allowed.state().get(StateKey.member(userId));
        boolean joined = memberEvent != null
                && "join".equals(graph.event(memberEvent).flatMap(Pdu::membership).orElse(null));
        return joined ? ConditionCheck.Status.MEMBER : ConditionCheck.Status.NOT_MEMBER;
    }

    /**
     * Local users joined to the room who can invite, highest power first. Those with power are
     * listed in the power levels (or are v12 creators), so we look at them rather than at every
     * member; only when the default level itself may invite do we ask the database for any member.
     */
    List<String> inviters(RoomVersion version, RoomSnapshot snapshot, Map<StateKey, Pdu> events) {
        PowerLevels levels = PowerLevels.fromState(version, events);
        Set<String> candidates = new LinkedHashSet<>(levels.users().keySet());
        candidates.addAll(levels.creators());
        List<String> able = new ArrayList<>();
        for (String u : candidates) {
            if (keyring.isOurs(Identifiers.serverOf(u).orElse("")) && levels.canInvite(u) && isJoined(snapshot, u)) {
                able.add(u);
            }
        }
        able.sort(Comparator.comparingLong(levels::userLevel).reversed().thenComparing(Comparator.naturalOrder()));
        if (able.isEmpty() && levels.usersDefault() >= levels.invite()) {
            memberships.anyJoinedUserOf(snapshot.roomId(), keyring.serverName()).ifPresent(able::add);
        }
        return able;
    }

    private boolean isJoined(RoomSnapshot snapshot, String userId) {
        String id = snapshot.state().get(StateKey.member(userId));
        return id != null && "join".equals(graph.event(id).flatMap(Pdu::membership).orElse(null));
    }

    /** Servers with a joined user able to invite, other than ours, in no particular order of preference. */
    public List<String> serversWithInviters(RoomVersion version, RoomState state) {
        Map<StateKey, Pdu> events = graph.stateEvents(state, List.of(StateKey.CREATE, StateKey.POWER_LEVELS));
        PowerLevels levels = PowerLevels.fromState(version, events);
        LinkedHashSet<String> servers = new LinkedHashSet<>();
        for (RoomMembership m : memberships.findByRoomAndMembership(roomIdOf(events, state), "join")) {
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
}
