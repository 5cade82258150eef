package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Identifier grammars (spec appendices §Identifier Grammar, §Server Name). */
class IdentifiersTests {

    @Test
    void serverNames() {
        for (String ok : new String[] {"matrix.org", "matrix.org:8888", "1.2.3.4", "1.2.3.4:1234", "[1234:5678::abcd]",
                "[1234:5678::abcd]:5678", "localhost", "localhost:8448", "a-b.c"}) {
            assertThat(Identifiers.isServerName(ok)).as(ok).isTrue();
        }
        for (String bad : new String[] {"", ":8448", "matrix.org:", "matrix.org:99999", "matrix.org:abc", "[1234", "a_b.c",
                "matrix.org/x", "ex ample.org"}) {
            assertThat(Identifiers.isServerName(bad)).as(bad).isFalse();
        }
    }

    @Test
    void userIds() {
        assertThat(Identifiers.parseUserId("@alice:example.org")).contains(new UserId("alice", "example.org"));
        assertThat(Identifiers.parseUserId("@Historic!:example.org:8448")).contains(new UserId("Historic!", "example.org:8448"));
        assertThat(Identifiers.isUserId("alice:example.org")).isFalse();
        assertThat(Identifiers.isUserId("@:example.org")).isFalse();
        assertThat(Identifiers.isUserId("@alice")).isFalse();
        assertThat(Identifiers.isUserId("@al ice:example.org")).isFalse();
        assertThat(Identifiers.isUserId("@" + "a".repeat(250) + ":b.org")).isFalse();
        assertThat(Identifiers.isNewLocalpart("alice.b-c_d=e/f+g")).isTrue();
        assertThat(Identifiers.isNewLocalpart("Alice")).isFalse();
    }

    @Test
    void roomIdsDependOnTheVersion() {
        assertThat(Identifiers.isRoomId("!abc:example.org", RoomVersions.V11)).isTrue();
        assertThat(Identifiers.isRoomId("!abc", RoomVersions.V11)).isFalse();
        String hashId = "!hkVBYjvC3dGTKF3BvALoVaBkfn8w_M1VYCrwrZvvygU";
        assertThat(Identifiers.isRoomId(hashId, RoomVersions.V12)).isTrue();
        assertThat(Identifiers.isRoomId("!abc:example.org", RoomVersions.V12)).isFalse();
        assertThat(Identifiers.isRoomIdOfAnyVersion(hashId)).isTrue();
    }

    @Test
    void eventIdsDependOnTheFormat() {
        assertThat(Identifiers.isEventId("$abc:example.org", RoomVersions.V1)).isTrue();
        assertThat(Identifiers.isEventId("$B56+qOtWp8cEaVkyqrJa1gtEJeKzCQKcw67lgZOiEVw", RoomVersions.V3)).isTrue();
        assertThat(Identifiers.isEventId("$B56+qOtWp8cEaVkyqrJa1gtEJeKzCQKcw67lgZOiEVw", RoomVersions.V4)).isFalse();
        assertThat(Identifiers.isEventId("$n3K_NWBOV9Up8yiep5-RslF3EqTmpptI4BXYEM_UFtA", RoomVersions.V6)).isTrue();
    }

    @Test
    void aliasesAndServerParts() {
        assertThat(Identifiers.isRoomAlias("#room:example.org")).isTrue();
        assertThat(Identifiers.isRoomAlias("room:example.org")).isFalse();
        assertThat(Identifiers.serverOf("@a:b.org:8448")).contains("b.org:8448");
        assertThat(Identifiers.serverOf("!nocolon")).isEmpty();
    }
}
