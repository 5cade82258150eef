package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.auth.TestRoom.ALICE;
import static org.vestibule.auth.TestRoom.BOB;
import static org.vestibule.auth.TestRoom.CAROL;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersions;

/** Reading power levels per room version: defaults, string and float values, creators. */
class PowerLevelsTests {

    @Test
    @DisplayName("without a power levels event the creator has 100, others 0, and the spec's defaults apply")
    void defaultsWithoutAnEvent() {
        PowerLevels levels = PowerLevels.parse(RoomVersions.V10, null, Set.of(ALICE));
        assertThat(levels.hasPowerLevelsEvent()).isFalse();
        assertThat(levels.userLevel(ALICE)).isEqualTo(100);
        assertThat(levels.userLevel(BOB)).isZero();
        assertThat(levels.invite()).isZero();
        assertThat(levels.kick()).isEqualTo(50);
        assertThat(levels.ban()).isEqualTo(50);
        assertThat(levels.redact()).isEqualTo(50);
        assertThat(levels.usersDefault()).isZero();
        assertThat(levels.eventsDefault()).isZero();
        // Spec (m.room.power_levels): state_default is 50 also when there is no event (so does Synapse).
        assertThat(levels.stateDefault()).isEqualTo(50);
        assertThat(levels.eventLevel("m.room.name", true)).isEqualTo(50);
        assertThat(levels.eventLevel("m.room.message", false)).isZero();
        assertThat(levels.notification("room")).isEqualTo(50);
    }

    @Test
    @DisplayName("with a power levels event, missing properties take the same defaults and the creator is ordinary")
    void defaultsWithAnEvent() {
        PowerLevels levels = PowerLevels.parse(RoomVersions.V10, Map.of("users", Map.of(BOB, 75L)), Set.of(ALICE));
        assertThat(levels.hasPowerLevelsEvent()).isTrue();
        assertThat(levels.userLevel(ALICE)).isZero();
        assertThat(levels.userLevel(BOB)).isEqualTo(75);
        assertThat(levels.stateDefault()).isEqualTo(50);
        assertThat(levels.kick()).isEqualTo(50);
        assertThat(levels.invite()).isZero();
    }

    @Test
    @DisplayName("explicit values: users, users_default, events, state/events defaults, notifications")
    void explicitValues() {
        Map<String, Object> content = Json.objectOf("users", Map.of(BOB, 60L), "users_default", 10L, "events",
                Map.of("m.room.name", 20L), "state_default", 30L, "events_default", 5L, "ban", 70L, "kick", 65L,
                "redact", 40L, "invite", 15L, "notifications", Map.of("room", 90L));
        PowerLevels levels = PowerLevels.parse(RoomVersions.V10, content, Set.of());
        assertThat(levels.userLevel(BOB)).isEqualTo(60);
        assertThat(levels.userLevel(CAROL)).isEqualTo(10);
        assertThat(levels.eventLevel("m.room.name", true)).isEqualTo(20);
        assertThat(levels.eventLevel("m.room.name", false)).isEqualTo(20);
        assertThat(levels.eventLevel("m.room.topic", true)).isEqualTo(30);
        assertThat(levels.eventLevel("m.room.message", false)).isEqualTo(5);
        assertThat(List.of(levels.ban(), levels.kick(), levels.redact(), levels.invite())).containsExactly(70L, 65L,
                40L, 15L);
        assertThat(levels.notification("room")).isEqualTo(90);
        assertThat(levels.notification("other")).isEqualTo(50);
        assertThat(levels.canInvite(BOB)).isTrue();
        assertThat(levels.canInvite("@x:y.example")).isFalse();
        assertThat(levels.canKick(BOB, CAROL)).isFalse();
        assertThat(levels.canBan(BOB, CAROL)).isFalse();
        assertThat(levels.canRedact(BOB)).isTrue();
        assertThat(levels.canSend(CAROL, "m.room.message", false)).isTrue();
        assertThat(levels.canSend(CAROL, "m.room.topic", true)).isFalse();
    }

    @Test
    @DisplayName("before v10, strings holding integers count, in the spec's format")
    void stringLevelsBeforeV10() {
        var v = RoomVersions.V9;
        assertThat(PowerLevels.level("100", v)).hasValue(100);
        assertThat(PowerLevels.level("000100", v)).hasValue(100);
        assertThat(PowerLevels.level("+100", v)).hasValue(100);
        assertThat(PowerLevels.level("-100", v)).hasValue(-100);
        assertThat(PowerLevels.level(" 00100 ", v)).hasValue(100);
        assertThat(PowerLevels.level("\t+7\n", v)).hasValue(7);
        for (String bad : List.of("", " ", "1.5", "1e2", "--1", "+-1", "0x10", "ten", "1 0", "99999999999999999999")) {
            assertThat(PowerLevels.level(bad, v)).as(bad).isEmpty();
        }
        PowerLevels levels = PowerLevels.parse(v, Map.of("users", Map.of(BOB, "75"), "ban", " 20 "), Set.of());
        assertThat(levels.userLevel(BOB)).isEqualTo(75);
        assertThat(levels.ban()).isEqualTo(20);
    }

    @Test
    @DisplayName("from v10, strings don't count: the default applies when reading")
    void stringLevelsIgnoredFromV10() {
        assertThat(PowerLevels.level("100", RoomVersions.V10)).isEmpty();
        assertThat(PowerLevels.level(100L, RoomVersions.V10)).hasValue(100);
        PowerLevels levels = PowerLevels.parse(RoomVersions.V10, Map.of("users", Map.of(BOB, "75"), "ban", "20"),
                Set.of());
        assertThat(levels.userLevel(BOB)).isZero();
        assertThat(levels.ban()).isEqualTo(50);
        assertThat(levels.users()).isEmpty();
    }

    @Test
    @DisplayName("before v6, floats are truncated; from v6 they don't count; booleans never do")
    void floatLevels() {
        assertThat(PowerLevels.level(51146.98, RoomVersions.V5)).hasValue(51146);
        assertThat(PowerLevels.level(-2.5, RoomVersions.V1)).hasValue(-2);
        assertThat(PowerLevels.level(Double.NaN, RoomVersions.V1)).isEmpty();
        assertThat(PowerLevels.level(Double.POSITIVE_INFINITY, RoomVersions.V1)).isEmpty();
        assertThat(PowerLevels.level(50.57, RoomVersions.V6)).isEmpty();
        assertThat(PowerLevels.level(true, RoomVersions.V1)).isEmpty();
        assertThat(PowerLevels.level(null, RoomVersions.V1)).isEqualTo(OptionalLong.empty());
    }

    @Test
    @DisplayName("creators: content.creator before v11, the sender from v11, plus additional_creators in v12")
    void creators() {
        Pdu v10 = TestRoom.created(RoomVersions.V10, ALICE).last();
        assertThat(PowerLevels.creators(v10)).containsExactly(ALICE);
        TestRoom v11room = TestRoom.empty(RoomVersions.V11);
        Pdu v11 = v11room.createEvent(ALICE).content("creator", BOB, "additional_creators", List.of(CAROL)).build();
        assertThat(PowerLevels.creators(v11)).containsExactly(ALICE);
        TestRoom v12room = TestRoom.empty(RoomVersions.V12);
        Pdu v12 = v12room.createEvent(ALICE).content("additional_creators", List.of(BOB, "junk", 3L)).build();
        assertThat(PowerLevels.creators(v12)).containsExactly(ALICE, BOB);
    }

    @Test
    @DisplayName("v12: creators have infinite power, with or without a power levels event, whatever users says")
    void v12CreatorsInfinitelyPowerful() {
        TestRoom room = TestRoom.empty(RoomVersions.V12);
        Pdu create = room.createEvent(ALICE).content("additional_creators", List.of(BOB)).add();
        PowerLevels none = PowerLevels.of(RoomVersions.V12, null, create);
        assertThat(none.userLevel(ALICE)).isEqualTo(PowerLevels.CREATOR);
        assertThat(none.userLevel(BOB)).isEqualTo(PowerLevels.CREATOR);
        assertThat(none.userLevel(CAROL)).isZero();
        assertThat(none.creatorsHaveInfinitePower()).isTrue();
        room.join(ALICE).add();
        Pdu pl = room.powerLevels(Map.of(ALICE, 1L, CAROL, 100L), "users_default", 5L).add();
        PowerLevels levels = PowerLevels.fromState(RoomVersions.V12, room.state());
        assertThat(levels.userLevel(ALICE)).isEqualTo(PowerLevels.CREATOR);
        assertThat(levels.userLevel(CAROL)).isEqualTo(100);
        assertThat(levels.userLevel("@x:y.example")).isEqualTo(5);
        assertThat(levels.canBan(CAROL, BOB)).isFalse();
        assertThat(levels.canBan(BOB, CAROL)).isTrue();
        assertThat(PowerLevels.of(RoomVersions.V12, pl, null).userLevel(ALICE)).isEqualTo(1);
    }

    @Test
    @DisplayName("before v12, the creator is only special when there is no power levels event")
    void v11CreatorIsOrdinaryWithAnEvent() {
        TestRoom room = TestRoom.standard(RoomVersions.V11, "public");
        PowerLevels levels = PowerLevels.fromState(RoomVersions.V11, room.state());
        assertThat(levels.userLevel(ALICE)).isEqualTo(100);
        assertThat(levels.creatorsHaveInfinitePower()).isFalse();
        PowerLevels without = PowerLevels.of(RoomVersions.V11, null, room.get(StateKey.CREATE));
        assertThat(without.userLevel(ALICE)).isEqualTo(PowerLevels.DEFAULT_CREATOR_LEVEL);
    }

    @Test
    @DisplayName("invalid entries are ignored when reading, so the defaults apply")
    void invalidEntriesIgnored() {
        Map<String, Object> content = Json.objectOf("users", List.of(), "events", Map.of("m.room.name", "x"),
                "kick", Map.of(), "users_default", "nope");
        PowerLevels levels = PowerLevels.parse(RoomVersions.V9, content, Set.of());
        assertThat(levels.users()).isEmpty();
        assertThat(levels.eventLevel("m.room.name", true)).isEqualTo(50);
        assertThat(levels.kick()).isEqualTo(50);
        assertThat(levels.usersDefault()).isZero();
    }
}
