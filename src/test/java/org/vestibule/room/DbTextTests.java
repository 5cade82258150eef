package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DbTextTests {

    @Test
    void stringsWithoutNulOrTheEscapeAreStoredAsTheyAre() {
        for (String s : new String[] {"", "m.room.member", "@alice:example.org", "\\0", "é\uD83D\uDE00", "\u0002"}) {
            assertThat(DbText.encode(s)).isSameAs(s);
            assertThat(DbText.decode(s)).isSameAs(s);
        }
        assertThat(DbText.encode(null)).isNull();
        assertThat(DbText.decode(null)).isNull();
    }

    @Test
    void everyStringOfNulsEscapesAndOthersComesBackAndNoTwoShareAStoredForm() {
        // All strings of up to four characters over the alphabet that matters.
        char[] alphabet = {'\u0000', '\u0001', '0', 'a'};
        List<String> all = new ArrayList<>(List.of(""));
        for (int length = 1, from = 0; length <= 4; length++) {
            int to = all.size();
            for (int i = from; i < to; i++) {
                for (char c : alphabet) {
                    all.add(all.get(i) + c);
                }
            }
            from = to;
        }
        Set<String> stored = new HashSet<>();
        for (String s : all) {
            String e = DbText.encode(s);
            assertThat(e).doesNotContain("\u0000");
            assertThat(DbText.decode(e)).isEqualTo(s);
            assertThat(stored.add(e)).as("a stored form shared: %s", e).isTrue();
        }
        assertThat(stored).hasSize(341);
    }

    @Test
    void ourOwnTextShowsNulWrittenOut() {
        assertThat(DbText.readable("the state_key \"a\u0000b\"")).isEqualTo("the state_key \"a\\u0000b\"");
        assertThat(DbText.readable("plain")).isEqualTo("plain");
        assertThat(DbText.readable(null)).isNull();
    }
}
