package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vestibule.auth.StateKey;

class RoomStateTests {

    @Test
    void addsReplacesAndRemovesWithoutChangingTheOriginal() {
        RoomState a = RoomState.EMPTY.with(StateKey.CREATE, "$c").with(StateKey.member("@u:x"), "$m1");
        RoomState b = a.with(StateKey.member("@u:x"), "$m2").without(StateKey.CREATE);
        assertThat(a.get(StateKey.member("@u:x"))).isEqualTo("$m1");
        assertThat(a.size()).isEqualTo(2);
        assertThat(b.get(StateKey.member("@u:x"))).isEqualTo("$m2");
        assertThat(b.contains(StateKey.CREATE)).isFalse();
        assertThat(b.size()).isEqualTo(1);
        assertThat(b.diffFrom(a)).containsEntry(StateKey.member("@u:x"), "$m2").containsEntry(StateKey.CREATE, null)
                .hasSize(2);
    }

    @Test
    void foldsLargeOverlaysAndStaysEqualToAPlainMap() {
        Map<StateKey, String> expected = new HashMap<>();
        RoomState s = RoomState.EMPTY;
        for (int i = 0; i < 1000; i++) {
            StateKey k = StateKey.member("@u" + (i % 300) + ":x");
            s = s.with(k, "$e" + i);
            expected.put(k, "$e" + i);
            if (i % 7 == 0) {
                StateKey gone = StateKey.member("@u" + (i % 11) + ":x");
                s = s.without(gone);
                expected.remove(gone);
            }
        }
        assertThat(s.toMap()).isEqualTo(expected);
        assertThat(s.size()).isEqualTo(expected.size());
        assertThat(s).isEqualTo(RoomState.of(expected));
        Map<StateKey, String> seen = new HashMap<>();
        s.forEach(seen::put);
        assertThat(seen).isEqualTo(expected);
    }
}
