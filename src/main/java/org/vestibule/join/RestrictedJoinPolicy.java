package org.vestibule.join;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.vestibule.event.RoomVersion;

/**
 * MSC3083 restricted joins as a pure decision: membership of the allowed rooms first, then a
 * local user who can invite (Synapse looks for the inviter first, and so answers
 * M_UNABLE_TO_GRANT_JOIN to users who qualify for nothing).
 */
public final class RestrictedJoinPolicy {

    /** How the policy learns whether a user is in an allowed room. */
    @FunctionalInterface
    public interface AllowedRooms {
        ConditionCheck.Status check(String allowedRoomId, String userId);
    }

    private RestrictedJoinPolicy() {}

    /**
     * Decides a join.
     *
     * @param version           the room's version
     * @param joinRulesContent  content of the room's m.room.join_rules (empty when absent)
     * @param currentMembership the user's membership now, or null
     * @param userId            the joining user
     * @param userIsLocal       whether the user is ours: we then know all their memberships
     * @param allowedRooms      membership lookups for allowed rooms
     * @param inviters          local joined users able to invite, best first (asked only when needed)
     */
    public static JoinDecision decide(RoomVersion version, Map<String, Object> joinRulesContent, String currentMembership,
                                      String userId, boolean userIsLocal, AllowedRooms allowedRooms,
                                      Supplier<List<String>> inviters) {
        Object rule = joinRulesContent.get("join_rule");
        boolean restricted = rule instanceof String r && version.isRestrictedJoinRule(r);
        if (!restricted || "join".equals(currentMembership) || "invite".equals(currentMembership)) {
            return new JoinDecision.Allowed(null, List.of());
        }
        List<ConditionCheck> checks = new ArrayList<>();
        for (String roomId : allowedRoomIds(joinRulesContent)) {
            ConditionCheck.Status status = allowedRooms.check(roomId, userId);
            if (userIsLocal && status == ConditionCheck.Status.UNKNOWN_ROOM) {
                // We know every membership of our own users: no room of ours, no membership.
                status = ConditionCheck.Status.NOT_MEMBER;
            }
            checks.add(new ConditionCheck(roomId, status));
        }
        List<ConditionCheck> result = List.copyOf(checks);
        if (checks.stream().anyMatch(c -> c.status() == ConditionCheck.Status.MEMBER)) {
            List<String> able = inviters.get();
            if (able.isEmpty()) {
                return new JoinDecision.UnableToGrant(userId + " may join through " + describe(result, ConditionCheck.Status.MEMBER)
                        + ", but no user on this server who is joined to the room can invite; try another server in the room",
                        result);
            }
            return new JoinDecision.Allowed(able.get(0), result);
        }
        if (result.isEmpty()) {
            return new JoinDecision.Forbidden("The room is restricted but its join rules list no valid allowed room "
                    + "(entries must be {\"type\": \"m.room_membership\", \"room_id\": …}); only invited users may join", result);
        }
        if (checks.stream().anyMatch(c -> c.status() == ConditionCheck.Status.UNKNOWN_ROOM)) {
            return new JoinDecision.UnableToAuthorise("This server cannot check whether " + userId
                    + " may join: checked " + describeAll(result) + "; try a server that is in the allowed rooms", result);
        }
        return new JoinDecision.Forbidden(userId + " is not joined to any of the rooms this room allows: checked "
                + describeAll(result) + "; join one of them first, or ask for an invite", result);
    }

    /** The room IDs of the valid allow conditions; malformed entries are ignored, as in Synapse. */
    public static List<String> allowedRoomIds(Map<String, Object> joinRulesContent) {
        List<String> rooms = new ArrayList<>();
        if (joinRulesContent.get("allow") instanceof List<?> allow) {
            for (Object entry : allow) {
                if (entry instanceof Map<?, ?> m && "m.room_membership".equals(m.get("type"))
                        && m.get("room_id") instanceof String roomId && !rooms.contains(roomId)) {
                    rooms.add(roomId);
                }
            }
        }
        return rooms;
    }

    private static String describeAll(List<ConditionCheck> checks) {
        return String.join(", ", checks.stream().map(ConditionCheck::describe).toList());
    }

    private static String describe(List<ConditionCheck> checks, ConditionCheck.Status status) {
        return String.join(", ", checks.stream().filter(c -> c.status() == status).map(ConditionCheck::roomId).toList());
    }
}
