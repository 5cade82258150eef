package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vestibule.auth.HistoryVisibility.AtEvent;
import org.vestibule.auth.HistoryVisibility.Setting;

/** The history visibility rule, as tables: spec client-server §Room History Visibility, server behaviour. */
class HistoryVisibilityTests {

    private static String m(String membership) {
        return "-".equals(membership) ? null : membership;
    }

    /** An ordinary event: the setting and the viewer's membership in the state at it; peeking = a non-member reading. */
    @ParameterizedTest(name = "{0}, membership {1}, peeking {2}: {3}")
    @CsvSource({
            // setting,     membership, peeking, may see
            "world_readable, -,      true,  true",
            "world_readable, leave,  true,  true",
            "world_readable, -,      false, true",
            "shared,         -,      false, true",  // a member sees what was said before they joined
            "shared,         leave,  false, true",
            "shared,         -,      true,  false", // but a peeker does not
            "shared,         join,   true,  true",
            "invited,        invite, false, true",
            "invited,        join,   false, true",
            "invited,        -,      false, false", // before the invite
            "invited,        leave,  false, false",
            "invited,        knock,  false, false",
            "joined,         join,   false, true",
            "joined,         invite, false, false", // invited is not enough
            "joined,         -,      false, false", // before the join
            "joined,         leave,  false, false", // after leaving
            "joined,         ban,    false, false",
            "joined,         -,      true,  false",
    })
    void anOrdinaryEvent(String setting, String membership, boolean peeking, boolean maySee) {
        assertThat(HistoryVisibility.userMaySee(AtEvent.plain(Setting.of(setting), m(membership)), peeking))
                .isEqualTo(maySee);
    }

    /** A history visibility event counts under the less restrictive of the settings before and after it. */
    @ParameterizedTest(name = "{0} -> {1}, membership {2}, peeking {3}: {4}")
    @CsvSource({
            "world_readable, joined,         -,    true,  true",
            "joined,         world_readable, -,    true,  true",
            "joined,         shared,         -,    false, true",
            "shared,         joined,         -,    false, true",
            "joined,         invited,        -,    false, false",
            "invited,        joined,         -,    false, false",
            "joined,         joined,         join, false, true",
    })
    void aHistoryVisibilityEvent(String before, String after, String membership, boolean peeking, boolean maySee) {
        AtEvent at = new AtEvent(true, false, Setting.of(before), Setting.of(after), m(membership), m(membership));
        assertThat(HistoryVisibility.userMaySee(at, peeking)).isEqualTo(maySee);
    }

    /** The viewer's own member event counts under the more joined of their memberships before and after it. */
    @ParameterizedTest(name = "{0}: {1} -> {2}: {3}")
    @CsvSource({
            "joined,  -,      join,   true",  // one's own join, even under joined
            "joined,  invite, join,   true",
            "joined,  join,   leave,  true",  // one's own leave
            "joined,  join,   ban,    true",
            "joined,  -,      invite, false", // an invite alone is not enough under joined
            "invited, -,      invite, true",
            "invited, invite, leave,  true",  // rejecting an invite
            "joined,  invite, leave,  false",
            "joined,  leave,  leave,  false",
    })
    void theViewersOwnMemberEvent(String setting, String before, String after, boolean maySee) {
        AtEvent at = new AtEvent(false, true, Setting.of(setting), Setting.of(setting), m(before), m(after));
        assertThat(HistoryVisibility.userMaySee(at, false)).isEqualTo(maySee);
    }

    /** A server: open history, or one of its users able to see the event then; else it gets the redacted form. */
    @ParameterizedTest(name = "{0}, its users {1}: {2}")
    @CsvSource({
            "world_readable, '',             true",
            "shared,         '',             true",
            "shared,         leave,          true",
            "invited,        invite,         true",
            "invited,        leave;join,     true",
            "invited,        leave;knock,    false",
            "invited,        '',             false",
            "joined,         join,           true",
            "joined,         leave;join,     true",
            "joined,         invite,         false",
            "joined,         ban;leave,      false",
            "joined,         '',             false",
    })
    void aServer(String setting, String memberships, boolean maySee) {
        List<String> list = memberships.isEmpty() ? List.of() : Arrays.asList(memberships.split(";"));
        assertThat(HistoryVisibility.serverMaySee(Setting.of(setting), list)).isEqualTo(maySee);
    }

    @Test
    void anAbsentOrUnknownSettingIsShared() {
        assertThat(Setting.of(null)).isEqualTo(Setting.SHARED);
        assertThat(Setting.of("everyone")).isEqualTo(Setting.SHARED);
        assertThat(Setting.of(42L)).isEqualTo(Setting.SHARED);
        assertThat(Setting.of("joined")).isEqualTo(Setting.JOINED);
    }
}
