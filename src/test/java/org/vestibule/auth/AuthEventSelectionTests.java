package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.auth.TestRoom.ALICE;
import static org.vestibule.auth.TestRoom.BOB;
import static org.vestibule.auth.TestRoom.CAROL;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.RoomVersions;

/** The server-server spec's auth events selection. */
class AuthEventSelectionTests {

    private static final StateKey TPI = new StateKey("m.room.third_party_invite", "tok");

    @Test
    @DisplayName("a create event selects nothing")
    void createSelectsNothing() {
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.create", "", ALICE, Map.of())).isEmpty();
    }

    @Test
    @DisplayName("other events: create, power levels, the sender's member event")
    void ordinaryEvent() {
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.message", null, ALICE, Map.of()))
                .containsExactly(StateKey.CREATE, StateKey.POWER_LEVELS, StateKey.member(ALICE));
        assertThat(AuthEventSelection.select(RoomVersions.V1, "m.room.topic", "", ALICE, Map.of()))
                .containsExactly(StateKey.CREATE, StateKey.POWER_LEVELS, StateKey.member(ALICE));
    }

    @Test
    @DisplayName("v12: the create event is never selected")
    void v12NoCreate() {
        assertThat(AuthEventSelection.select(RoomVersions.V12, "m.room.message", null, ALICE, Map.of()))
                .containsExactly(StateKey.POWER_LEVELS, StateKey.member(ALICE));
        assertThat(AuthEventSelection.select(RoomVersions.V12, "m.room.member", BOB, BOB,
                Map.of("membership", "join"))).doesNotContain(StateKey.CREATE);
    }

    @Test
    @DisplayName("member events: the target's member event; join rules for join, invite and knock only")
    void memberEvents() {
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", BOB, ALICE,
                Map.of("membership", "invite"))).containsExactly(StateKey.CREATE, StateKey.POWER_LEVELS,
                StateKey.member(ALICE), StateKey.member(BOB), StateKey.JOIN_RULES);
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", BOB, BOB,
                Map.of("membership", "join"))).containsExactly(StateKey.CREATE, StateKey.POWER_LEVELS,
                StateKey.member(BOB), StateKey.JOIN_RULES);
        assertThat(AuthEventSelection.select(RoomVersions.V7, "m.room.member", BOB, BOB,
                Map.of("membership", "knock"))).contains(StateKey.JOIN_RULES);
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", BOB, ALICE,
                Map.of("membership", "ban"))).containsExactly(StateKey.CREATE, StateKey.POWER_LEVELS,
                StateKey.member(ALICE), StateKey.member(BOB));
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", BOB, BOB,
                Map.of("membership", "leave"))).doesNotContain(StateKey.JOIN_RULES);
    }

    @Test
    @DisplayName("third-party invites: the m.room.third_party_invite event named by signed.token")
    void thirdPartyInvite() {
        Map<String, Object> content = Json.objectOf("membership", "invite", "third_party_invite",
                Map.of("signed", Map.of("token", "tok", "mxid", CAROL)));
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", CAROL, ALICE, content)).contains(TPI);
        Map<String, Object> join = Json.objectOf("membership", "join", "third_party_invite",
                Map.of("signed", Map.of("token", "tok")));
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", CAROL, CAROL, join))
                .doesNotContain(TPI);
        Map<String, Object> malformed = Json.objectOf("membership", "invite", "third_party_invite", "tok");
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", CAROL, ALICE, malformed))
                .hasSize(5);
    }

    @Test
    @DisplayName("v8+ joins with join_authorised_via_users_server: the authoriser's member event")
    void authoriser() {
        Map<String, Object> join = Json.objectOf("membership", "join", "join_authorised_via_users_server", CAROL);
        assertThat(AuthEventSelection.select(RoomVersions.V8, "m.room.member", BOB, BOB, join))
                .contains(StateKey.member(CAROL));
        assertThat(AuthEventSelection.select(RoomVersions.V7, "m.room.member", BOB, BOB, join))
                .doesNotContain(StateKey.member(CAROL));
        Map<String, Object> leave = Json.objectOf("membership", "leave", "join_authorised_via_users_server", CAROL);
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", BOB, BOB, leave))
                .doesNotContain(StateKey.member(CAROL));
    }

    @Test
    @DisplayName("each slot once, even when sender, target and authoriser coincide")
    void noDuplicates() {
        Map<String, Object> join = Json.objectOf("membership", "join", "join_authorised_via_users_server", BOB);
        assertThat(AuthEventSelection.select(RoomVersions.V10, "m.room.member", BOB, BOB, join)).doesNotHaveDuplicates()
                .hasSize(4);
    }

    @Test
    @DisplayName("selection of a built event equals that of its parts")
    void selectPdu() {
        TestRoom room = TestRoom.standard(RoomVersions.V10, "public");
        var join = room.join(BOB).build();
        assertThat(AuthEventSelection.select(join)).isEqualTo(AuthEventSelection.select(RoomVersions.V10,
                "m.room.member", BOB, BOB, join.content()));
    }
}
