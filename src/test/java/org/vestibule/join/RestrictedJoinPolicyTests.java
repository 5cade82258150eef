package org.vestibule.join;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vestibule.event.RoomVersions;
import org.vestibule.join.ConditionCheck.Status;

/** The restricted-join decision, one test per row of DESIGN.md's errcode table. */
class RestrictedJoinPolicyTests {

    private static final String USER = "@bob:remote.example";

    private static Map<String, Object> restricted(String... rooms) {
        return Map.of("join_rule", "restricted", "allow", List.of(rooms).stream()
                .map(r -> (Object) Map.of("type", "m.room_membership", "room_id", r)).toList());
    }

    private static JoinDecision decide(Map<String, Object> rules, String membership, Map<String, Status> rooms,
                                       List<String> inviters) {
        return RestrictedJoinPolicy.decide(RoomVersions.V10, rules, membership, USER, false,
                (room, user) -> rooms.getOrDefault(room, Status.UNKNOWN_ROOM), () -> inviters);
    }

    @Test
    void memberOfAKnownAllowedRoomWithAnInviterIsAllowedThroughThatInviter() {
        JoinDecision d = decide(restricted("!a:x"), null, Map.of("!a:x", Status.MEMBER), List.of("@alice:here", "@z:here"));
        assertThat(d).isInstanceOf(JoinDecision.Allowed.class);
        assertThat(((JoinDecision.Allowed) d).authoriser()).isEqualTo("@alice:here");
        assertThat(d.checks()).containsExactly(new ConditionCheck("!a:x", Status.MEMBER));
    }

    @Test
    void qualifyingUserWithoutAnyInviterIsUnableToGrant() {
        JoinDecision d = decide(restricted("!a:x"), null, Map.of("!a:x", Status.MEMBER), List.of());
        assertThat(d).isInstanceOf(JoinDecision.UnableToGrant.class);
        assertThat(((JoinDecision.UnableToGrant) d).message()).contains("!a:x").contains("another server");
    }

    @Test
    void membershipIsCheckedBeforeLookingForAnInviter() {
        // Synapse answers UNABLE_TO_GRANT here; we know the user qualifies for nothing.
        JoinDecision d = RestrictedJoinPolicy.decide(RoomVersions.V10, restricted("!a:x"), null, USER, false,
                (room, user) -> Status.NOT_MEMBER, () -> {
                    throw new AssertionError("inviters must not be looked up");
                });
        assertThat(d).isInstanceOf(JoinDecision.Forbidden.class);
    }

    @Test
    void notInAnyKnownRoomWithAnUnknownOneIsUnableToAuthorise() {
        JoinDecision d = decide(restricted("!a:x", "!b:y"), null, Map.of("!a:x", Status.NOT_MEMBER), List.of("@alice:here"));
        assertThat(d).isInstanceOf(JoinDecision.UnableToAuthorise.class);
        assertThat(((JoinDecision.UnableToAuthorise) d).message()).contains("!a:x (the user is not joined)")
                .contains("!b:y (this server is not in it");
    }

    @Test
    void memberOfTheKnownRoomAmongUnknownOnesIsAllowed() {
        JoinDecision d = decide(restricted("!a:x", "!b:y"), null, Map.of("!a:x", Status.MEMBER), List.of("@alice:here"));
        assertThat(d).isInstanceOf(JoinDecision.Allowed.class);
    }

    @Test
    void knowsEveryAllowedRoomAndTheUserIsInNoneIsForbidden() {
        JoinDecision d = decide(restricted("!a:x", "!b:y"), null,
                Map.of("!a:x", Status.NOT_MEMBER, "!b:y", Status.NOT_MEMBER), List.of("@alice:here"));
        assertThat(d).isInstanceOf(JoinDecision.Forbidden.class);
        assertThat(((JoinDecision.Forbidden) d).message()).contains("!a:x").contains("!b:y");
    }

    @Test
    void noValidConditionIsForbidden() {
        for (Object allow : List.of(List.of("invalid"), "invalid", List.of(), List.of(Map.of("type", "m.other", "room_id", "!a:x")),
                List.of(Map.of("type", "m.room_membership", "room_id", 5L)))) {
            JoinDecision d = decide(Map.of("join_rule", "restricted", "allow", allow), null, Map.of(), List.of("@alice:here"));
            assertThat(d).as("allow %s", allow).isInstanceOf(JoinDecision.Forbidden.class);
            assertThat(((JoinDecision.Forbidden) d).message()).contains("no valid allowed room");
        }
    }

    @Test
    void invitedOrJoinedUsersJoinWithoutAnAuthoriser() {
        for (String membership : List.of("invite", "join")) {
            JoinDecision d = decide(restricted("!a:x"), membership, Map.of(), List.of());
            assertThat(d).isEqualTo(new JoinDecision.Allowed(null, List.of()));
        }
    }

    @Test
    void notRestrictedRoomsAreLeftToTheAuthRules() {
        assertThat(decide(Map.of("join_rule", "public"), null, Map.of(), List.of()))
                .isEqualTo(new JoinDecision.Allowed(null, List.of()));
        assertThat(decide(Map.of(), null, Map.of(), List.of())).isEqualTo(new JoinDecision.Allowed(null, List.of()));
    }

    @Test
    void restrictedNeedsRoomVersion8AndKnockRestrictedVersion10() {
        JoinDecision v7 = RestrictedJoinPolicy.decide(RoomVersions.V7, restricted("!a:x"), null, USER, false,
                (r, u) -> Status.NOT_MEMBER, List::of);
        assertThat(v7).isInstanceOf(JoinDecision.Allowed.class); // the auth rules then refuse the unknown join rule
        Map<String, Object> knockRestricted = Map.of("join_rule", "knock_restricted",
                "allow", List.of(Map.of("type", "m.room_membership", "room_id", "!a:x")));
        assertThat(RestrictedJoinPolicy.decide(RoomVersions.V9, knockRestricted, null, USER, false,
                (r, u) -> Status.NOT_MEMBER, List::of)).isInstanceOf(JoinDecision.Allowed.class);
        assertThat(RestrictedJoinPolicy.decide(RoomVersions.V10, knockRestricted, null, USER, false,
                (r, u) -> Status.NOT_MEMBER, List::of)).isInstanceOf(JoinDecision.Forbidden.class);
    }

    @Test
    void localUsersAreNeverUnableToAuthorise() {
        JoinDecision d = RestrictedJoinPolicy.decide(RoomVersions.V10, restricted("!a:x"), null, "@carol:here", true,
                (r, u) -> Status.UNKNOWN_ROOM, List::of);
        assertThat(d).isInstanceOf(JoinDecision.Forbidden.class);
    }

    @Test
    void duplicateAllowEntriesAreCheckedOnce() {
        assertThat(RestrictedJoinPolicy.allowedRoomIds(restricted("!a:x", "!a:x", "!b:y"))).containsExactly("!a:x", "!b:y");
    }
}
