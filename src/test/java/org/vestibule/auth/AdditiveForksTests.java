package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.auth.TestRoom.ALICE;
import static org.vestibule.auth.TestRoom.BOB;
import static org.vestibule.auth.TestRoom.CAROL;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;

/** The additive-forks shortcut gives exactly what the full v2 algorithm gives, or steps aside. */
class AdditiveForksTests {

    private static final RoomVersion V10 = RoomVersions.V10;

    private static TestRoom room(String joinRule) {
        TestRoom room = TestRoom.standard(V10, joinRule);
        room.join(BOB).add();
        room.join(CAROL).add();
        Map<String, Long> users = new LinkedHashMap<>();
        users.put(ALICE, 100L);
        users.put(BOB, 50L);
        room.powerLevels(users).add();
        return room;
    }

    private static List<Map<StateKey, String>> sets(TestRoom... forks) {
        List<Map<StateKey, String>> sets = new ArrayList<>();
        for (TestRoom f : forks) {
            sets.add(f.stateIds());
        }
        return sets;
    }

    @Test
    @DisplayName("concurrent joins of different users: the union, as the full algorithm says")
    void concurrentJoinsResolveToTheirUnion() {
        TestRoom room = room("public");
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        TestRoom c = room.fork();
        a.join("@x1:x.example").add();
        a.join("@x2:x.example").add();
        b.join("@y1:y.example").add();
        c.event("m.room.topic").sender(BOB).stateKey("").content("topic", "hi").add();
        List<Map<StateKey, String>> sets = sets(a, b, c);
        Map<StateKey, String> fast = AdditiveForks.resolve(sets, CachedLookup.of(a.lookup()));
        assertThat(fast).isNotNull();
        assertThat(fast).isEqualTo(StateResolver.resolveFully(V10, sets, a.lookup()));
        assertThat(fast).containsKeys(StateKey.member("@x1:x.example"), StateKey.member("@y1:y.example"), StateKey.TOPIC);
    }

    @Test
    @DisplayName("an addition the unconflicted state does not allow is left out, as the full algorithm does")
    void unauthorisedAdditionIsLeftOut() {
        TestRoom room = room("public");
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        a.event("m.room.name").sender(CAROL).stateKey("").content("name", "carol's").add(); // Carol has 0 < 50
        b.join("@y1:y.example").add();
        List<Map<StateKey, String>> sets = sets(a, b);
        Map<StateKey, String> fast = AdditiveForks.resolve(sets, CachedLookup.of(a.lookup()));
        assertThat(fast).isEqualTo(StateResolver.resolveFully(V10, sets, a.lookup())).doesNotContainKey(StateKey.NAME);
    }

    @Test
    @DisplayName("steps aside for disagreements, power events, and additions that read other forks' additions")
    void stepsAsideWhenNotAdditive() {
        TestRoom room = room("public");
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        a.member(BOB, CAROL, "ban").add(); // a power event on a slot both forks hold
        b.join("@y1:y.example").add();
        assertThat(AdditiveForks.resolve(sets(a, b), CachedLookup.of(a.lookup()))).isNull();

        TestRoom c = room.fork();
        TestRoom d = room.fork();
        c.joinRules("invite").add(); // a power event added in one fork only
        d.join("@y1:y.example").add();
        assertThat(AdditiveForks.resolve(sets(c, d), CachedLookup.of(c.lookup()))).isNull();

        TestRoom e = room.fork();
        TestRoom f = room.fork();
        e.join("@x1:x.example").add();
        e.event("m.room.topic").sender("@x1:x.example").stateKey("").content("topic", "x").add(); // reads x1's join
        f.join("@y1:y.example").add();
        assertThat(AdditiveForks.resolve(sets(e, f), CachedLookup.of(e.lookup()))).isNull();
        assertThat(StateResolver.resolve(V10, sets(e, f), e.lookup()))
                .isEqualTo(StateResolver.resolveFully(V10, sets(e, f), e.lookup()));
    }

    /** Two to four forks of a fresh room, each with up to two random changes (joins, invites, topics, bans, names). */
    private static List<TestRoom> randomForks(Random random, String prefix) {
        TestRoom room = room(random.nextBoolean() ? "public" : "invite");
        int forks = 2 + random.nextInt(3);
        List<TestRoom> all = new ArrayList<>();
        for (int f = 0; f < forks; f++) {
            // Some forks grow from another fork, so a slot can be shared by some forks only.
            TestRoom fork = !all.isEmpty() && random.nextInt(3) == 0 ? all.get(random.nextInt(all.size())).fork()
                    : room.fork();
            int n = random.nextInt(3);
            for (int i = 0; i < n; i++) {
                String user = prefix + f + "_" + i + "_" + random.nextInt(3) + ":u.example";
                switch (random.nextInt(5)) {
                    case 0 -> fork.join(user).add();
                    case 1 -> fork.member(BOB, user, "invite").add();
                    case 2 -> fork.event("m.room.topic").sender(random.nextBoolean() ? BOB : CAROL).stateKey("")
                            .content("topic", "t" + random.nextInt(100)).add();
                    case 3 -> fork.member(ALICE, CAROL, random.nextBoolean() ? "ban" : "leave").add();
                    default -> fork.event("m.room.name").sender(ALICE).stateKey("").content("name", "n" + f).add();
                }
            }
            all.add(fork);
        }
        return all;
    }

    @Test
    @DisplayName("random additive and non-additive forks: the shortcut never disagrees with the full algorithm, "
            + "whether given whole sets or differences from one fork")
    void randomForksAgreeWithTheFullAlgorithm() {
        Random random = new Random(42);
        int shortcut = 0;
        for (int round = 0; round < 200; round++) {
            List<TestRoom> all = randomForks(random, "@u");
            List<Map<StateKey, String>> sets = sets(all.toArray(new TestRoom[0]));
            EventLookup lookup = all.get(0).lookup();
            Map<StateKey, String> whole = AdditiveForks.resolve(sets, CachedLookup.of(lookup));
            Map<StateKey, String> changes = AdditiveForks.resolveChanges(sets.get(0)::get, differences(sets), CachedLookup.of(lookup));
            assertThat(changes == null).as("round %s: steps aside exactly when the whole-set shortcut does", round)
                    .isEqualTo(whole == null);
            if (whole != null) {
                shortcut++;
                assertThat(applied(sets.get(0), changes)).as("round %s", round).isEqualTo(whole);
                assertThat(changes).as("only slots that differ").allSatisfy((k, v) -> assertThat(v).isNotEqualTo(sets.get(0).get(k)));
            }
            assertThat(StateResolver.resolve(V10, sets, lookup)).as("round %s", round)
                    .isEqualTo(StateResolver.resolveFully(V10, sets, lookup));
            assertThat(StateResolver.resolveAdditions(V10, sets.get(0)::get, differences(sets), lookup)
                    .map(c -> applied(sets.get(0), c))).isEqualTo(Optional.ofNullable(whole));
        }
        assertThat(shortcut).as("rounds the shortcut answered").isBetween(20, 180);
    }

    /** The forks as the first one's state and the others' differences from it (null: absent). */
    private static List<Map<StateKey, String>> differences(List<Map<StateKey, String>> sets) {
        Map<StateKey, String> reference = sets.get(0);
        List<Map<StateKey, String>> out = new ArrayList<>();
        for (Map<StateKey, String> set : sets.subList(1, sets.size())) {
            Map<StateKey, String> d = new HashMap<>();
            set.forEach((k, v) -> {
                if (!v.equals(reference.get(k))) {
                    d.put(k, v);
                }
            });
            reference.keySet().forEach(k -> {
                if (!set.containsKey(k)) {
                    d.put(k, null);
                }
            });
            out.add(d);
        }
        return out;
    }

    private static Map<StateKey, String> applied(Map<StateKey, String> reference, Map<StateKey, String> changes) {
        Map<StateKey, String> out = new HashMap<>(reference);
        changes.forEach((k, v) -> {
            if (v == null) {
                out.remove(k);
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    @Test
    @DisplayName("forks given as differences: identical forks change nothing, and room version 12 takes the full algorithm")
    void differencesOfIdenticalForksAndVersion12() {
        TestRoom room = room("public");
        Map<StateKey, String> same = room.stateIds();
        assertThat(AdditiveForks.resolveChanges(same::get, List.of(Map.of()), CachedLookup.of(room.lookup()))).isEmpty();
        assertThat(StateResolver.resolveAdditions(RoomVersions.V12, same::get, List.of(Map.of()), room.lookup())).isEmpty();
    }
}
