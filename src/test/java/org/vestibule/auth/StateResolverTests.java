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
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;

/** State resolution v1, v2 and v2.1 on hand-built forks. */
class StateResolverTests {

    private static final RoomVersion V10 = RoomVersions.V10;
    private static final StateKey TOPIC = StateKey.TOPIC;

    private static Map<StateKey, String> resolve(TestRoom... forks) {
        List<Map<StateKey, String>> sets = new ArrayList<>();
        for (TestRoom fork : forks) {
            sets.add(fork.stateIds());
        }
        return StateResolver.resolve(forks[0].version, sets, forks[0].lookup());
    }

    private static TestRoom.Builder topic(TestRoom room, String sender, String text) {
        return room.event("m.room.topic").sender(sender).stateKey("").content("topic", text);
    }

    /** Alice's public room with Bob joined at 50 and Carol joined at 0, and a topic by Alice. */
    private static TestRoom moderated(RoomVersion v) {
        TestRoom room = TestRoom.standard(v, "public");
        room.join(BOB).add();
        room.join(CAROL).add();
        Map<String, Long> users = new LinkedHashMap<>();
        if (!v.roomIdIsCreateEventHash()) {
            users.put(ALICE, 100L);
        }
        users.put(BOB, 50L);
        room.powerLevels(users).add();
        topic(room, ALICE, "welcome").add();
        return room;
    }

    // ---- fast paths -------------------------------------------------------------------------

    @Test
    @DisplayName("no sets, one set, or sets without conflicts resolve without looking up any event")
    void fastPaths() {
        EventLookup refuse = id -> {
            throw new AssertionError("looked up " + id);
        };
        assertThat(StateResolver.resolve(V10, List.of(), refuse)).isEmpty();
        Map<StateKey, String> one = Map.of(StateKey.CREATE, "$c", TOPIC, "$t");
        assertThat(StateResolver.resolve(V10, List.of(one), refuse)).isEqualTo(one);
        assertThat(StateResolver.resolve(V10, List.of(one, new HashMap<>(one), one), refuse)).isEqualTo(one);
        assertThat(StateResolver.resolve(RoomVersions.V1, List.of(one, one), refuse)).isEqualTo(one);
        assertThat(StateResolver.resolve(RoomVersions.V12, List.of(one, one), refuse)).isEqualTo(one);
        // v1 only: a slot some sets lack is no conflict.
        Map<StateKey, String> more = new HashMap<>(one);
        more.put(StateKey.NAME, "$n");
        assertThat(StateResolver.resolve(RoomVersions.V1, List.of(one, more), refuse)).isEqualTo(more);
    }

    @Test
    @DisplayName("v2: a slot missing from one set is conflicted, and its event must pass the auth rules")
    void v2MissingSlotIsConflicted() {
        TestRoom room = moderated(V10);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu name = a.event("m.room.name").sender(CAROL).stateKey("").content("name", "carol's").add();
        Pdu ok = b.event("m.room.avatar").sender(BOB).stateKey("").content("url", "mxc://x/y").add();
        Map<StateKey, String> resolved = resolve(a, b);
        assertThat(resolved).doesNotContainKey(StateKey.NAME); // Carol (0) can't set the name
        assertThat(resolved.get(new StateKey("m.room.avatar", ""))).isEqualTo(ok.eventId());
        assertThat(name).isNotNull();
    }

    // ---- v2 -----------------------------------------------------------------------------------

    @Test
    @DisplayName("v2: a power level change removing someone's power wins over their later state change")
    void powerLevelsBeatLaterStateChange() {
        TestRoom room = moderated(V10);
        Pdu welcome = room.get(TOPIC);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu demotion = a.powerLevels(Map.of(ALICE, 100L)).add();
        topic(b, BOB, "bob was here").add(); // later than the demotion
        Map<StateKey, String> resolved = resolve(a, b);
        assertThat(resolved.get(StateKey.POWER_LEVELS)).isEqualTo(demotion.eventId());
        assertThat(resolved.get(TOPIC)).isEqualTo(welcome.eventId());
        assertThat(resolve(b, a)).isEqualTo(resolved);
    }

    @Test
    @DisplayName("v2: power events go in by sender power first, so a demotion beats the demoted moderator's earlier kick")
    void demotionBeatsEarlierKick() {
        TestRoom room = moderated(V10);
        Pdu carolJoin = room.get(StateKey.member(CAROL));
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu kick = b.member(BOB, CAROL, "leave").ts(5_000).add();
        Pdu demotion = a.powerLevels(Map.of(ALICE, 100L)).ts(6_000).add();
        Map<StateKey, String> resolved = resolve(a, b);
        assertThat(resolved.get(StateKey.POWER_LEVELS)).isEqualTo(demotion.eventId());
        assertThat(resolved.get(StateKey.member(CAROL))).isEqualTo(carolJoin.eventId());
        assertThat(kick).isNotNull();
    }

    @Test
    @DisplayName("v2: a ban beats a concurrent join, whichever came first")
    void banBeatsJoin() {
        for (long joinTs : new long[] {5_000, 7_000}) {
            TestRoom room = TestRoom.standard(V10, "public");
            TestRoom a = room.fork();
            TestRoom b = room.fork();
            Pdu ban = a.member(ALICE, CAROL, "ban").ts(6_000).add();
            b.join(CAROL).ts(joinTs).add();
            assertThat(resolve(a, b).get(StateKey.member(CAROL))).as("join at " + joinTs).isEqualTo(ban.eventId());
            assertThat(resolve(b, a).get(StateKey.member(CAROL))).isEqualTo(ban.eventId());
        }
    }

    @Test
    @DisplayName("v2: the auth difference holds events in some forks' auth chains only")
    void authDifference() {
        TestRoom room = moderated(V10);
        Pdu commonPl = room.get(StateKey.POWER_LEVELS);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu pl1 = a.powerLevels(Map.of(ALICE, 100L, BOB, 50L, CAROL, 10L)).add();
        Pdu pl2 = a.powerLevels(Map.of(ALICE, 100L, BOB, 50L, CAROL, 20L)).add();
        Pdu topicB = topic(b, BOB, "b").add();
        Set<String> difference = StateResolver.authDifference(List.of(a.stateIds(), b.stateIds()), room.lookup());
        // A's chain holds pl1 (below pl2) and pl2 (its own); B's holds its topic. Shared history is in both.
        // (Like Synapse and ruma, a set's chain includes the set's own events.)
        // A's set holds the old topic, which no event of B's cites (topics are never auth events).
        assertThat(difference).containsExactlyInAnyOrder(pl1.eventId(), pl2.eventId(), topicB.eventId(),
                room.get(TOPIC).eventId());
        assertThat(difference).doesNotContain(commonPl.eventId(), room.get(StateKey.CREATE).eventId());
        Map<StateKey, String> resolved = resolve(a, b);
        assertThat(resolved.get(StateKey.POWER_LEVELS)).isEqualTo(pl2.eventId());
        assertThat(resolved.get(TOPIC)).isEqualTo(topicB.eventId());
    }

    @Test
    @DisplayName("v2: mainline ordering puts events under a later power levels event last, whatever their timestamps")
    void mainlineOrdering() {
        TestRoom room = TestRoom.standard(V10, "public");
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        topic(a, ALICE, "a, sent last").ts(9_000).add();
        b.powerLevels(Map.of(ALICE, 100L, BOB, 50L)).ts(5_000).add();
        Pdu topicB = topic(b, ALICE, "b, under the newer power levels").ts(5_001).add();
        assertThat(resolve(a, b).get(TOPIC)).isEqualTo(topicB.eventId());
        assertThat(resolve(b, a).get(TOPIC)).isEqualTo(topicB.eventId());
    }

    @Test
    @DisplayName("v2: at the same mainline position, the later origin_server_ts wins, then the greater event ID")
    void tiesByTimestampThenEventId() {
        TestRoom room = TestRoom.standard(V10, "public");
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu later = topic(a, ALICE, "later").ts(6_000).add();
        topic(b, ALICE, "earlier").ts(5_000).add();
        assertThat(resolve(a, b).get(TOPIC)).isEqualTo(later.eventId());
        assertThat(resolve(b, a).get(TOPIC)).isEqualTo(later.eventId());

        TestRoom c = room.fork();
        TestRoom d = room.fork();
        Pdu one = topic(c, ALICE, "one").ts(7_000).add();
        Pdu two = topic(d, ALICE, "two").ts(7_000).add();
        String greater = StateResolver.compareIds(one.eventId(), two.eventId()) > 0 ? one.eventId() : two.eventId();
        assertThat(resolve(c, d).get(TOPIC)).isEqualTo(greater);
        assertThat(resolve(d, c).get(TOPIC)).isEqualTo(greater);
    }

    @Test
    @DisplayName("v2: reverse topological power ordering takes the higher sender power first, then time, then ID")
    void reverseTopologicalPowerOrdering() {
        TestRoom room = moderated(V10);
        // Bob (50) may change the join rules under state_default 50; Alice (100) goes first, so Bob's lands last.
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        a.joinRules("invite").ts(9_000).add();
        Pdu bobs = b.joinRules("knock").sender(BOB).ts(5_000).add();
        assertThat(resolve(a, b).get(StateKey.JOIN_RULES)).isEqualTo(bobs.eventId());

        // Same power: the earlier goes first, so the later one wins.
        TestRoom c = room.fork();
        TestRoom d = room.fork();
        Pdu later = c.joinRules("invite").ts(9_000).add();
        d.joinRules("knock").ts(5_000).add();
        assertThat(resolve(c, d).get(StateKey.JOIN_RULES)).isEqualTo(later.eventId());

        // Same power and time: the greater event ID goes last.
        TestRoom e = room.fork();
        TestRoom f = room.fork();
        Pdu x = e.joinRules("invite").ts(9_000).add();
        Pdu y = f.joinRules("knock").ts(9_000).add();
        String greater = StateResolver.compareIds(x.eventId(), y.eventId()) > 0 ? x.eventId() : y.eventId();
        assertThat(resolve(e, f).get(StateKey.JOIN_RULES)).isEqualTo(greater);
    }

    @Test
    @DisplayName("v2: unconflicted state always survives, and forks of three merge like two")
    void unconflictedStateSurvivesAndThreeForks() {
        TestRoom room = moderated(V10);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        TestRoom c = room.fork();
        Pdu ta = topic(a, ALICE, "a").ts(5_000).add();
        Pdu tb = topic(b, BOB, "b").ts(6_000).add();
        Pdu tc = topic(c, CAROL, "c").ts(7_000).add(); // Carol (0) can't
        Map<StateKey, String> resolved = resolve(a, b, c);
        assertThat(resolved.get(TOPIC)).isEqualTo(tb.eventId());
        assertThat(resolved.get(StateKey.member(ALICE))).isEqualTo(room.get(StateKey.member(ALICE)).eventId());
        assertThat(resolved.get(StateKey.CREATE)).isEqualTo(room.get(StateKey.CREATE).eventId());
        assertThat(resolved).hasSize(room.state().size());
        assertThat(List.of(ta, tc)).doesNotContainNull();
    }

    @Test
    @DisplayName("v2: events the lookup doesn't know are left out")
    void unknownEventsAreSkipped() {
        TestRoom room = moderated(V10);
        TestRoom a = room.fork();
        Pdu ta = topic(a, ALICE, "a").add();
        Map<StateKey, String> withUnknown = room.stateIds();
        withUnknown.put(TOPIC, "$unknown");
        withUnknown.put(StateKey.NAME, "$alsoUnknown");
        Map<StateKey, String> resolved = StateResolver.resolve(V10, List.of(a.stateIds(), withUnknown),
                room.lookup());
        assertThat(resolved.get(TOPIC)).isEqualTo(ta.eventId());
        assertThat(resolved).doesNotContainKey(StateKey.NAME);
    }

    @Test
    @DisplayName("v2: an event whose auth events are unknown is checked against the resolved state alone")
    void unknownAuthEvents() {
        TestRoom room = moderated(V10);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu ghost = room.join(ALICE).content("displayname", "never stored").build();
        Pdu orphan = a.apply(topic(a, ALICE, "orphan").auth(room.get(StateKey.CREATE),
                room.get(StateKey.POWER_LEVELS), ghost).build());
        Map<StateKey, String> resolved = resolve(a, b);
        // Alice's member event comes from the resolved state, since her cited one is unknown.
        assertThat(resolved.get(TOPIC)).isEqualTo(orphan.eventId());
    }

    // ---- v2.1 (room version 12) ------------------------------------------------------------

    /** A v12 room where Bob (100) rewrote the power levels after joining, and Alice then kicked him in fork A. */
    private static final class KickFork {
        final TestRoom room;
        final TestRoom a;
        final TestRoom b;
        final Pdu bobJoin;
        final Pdu bobsPowerLevels;
        final Pdu kick;

        KickFork(RoomVersion v) {
            room = TestRoom.standard(v, "public");
            bobJoin = room.join(BOB).add();
            Map<String, Long> users = new LinkedHashMap<>();
            if (!v.roomIdIsCreateEventHash()) {
                users.put(ALICE, 100L);
            }
            users.put(BOB, 100L);
            room.powerLevels(users).add();
            users.put(CAROL, 10L);
            bobsPowerLevels = room.powerLevels(users).sender(BOB).add();
            a = room.fork();
            b = room.fork();
            kick = a.member(ALICE, BOB, "leave").add();
            topic(b, ALICE, "unrelated").add();
        }
    }

    @Test
    @DisplayName("v2.1: the conflicted state subgraph holds events on auth paths between conflicted events")
    void conflictedStateSubgraph() {
        KickFork f = new KickFork(RoomVersions.V12);
        Set<String> subgraph = StateResolver.conflictedSubgraph(Set.of(f.kick.eventId(), f.bobJoin.eventId()),
                f.room.lookup());
        // kick -> Bob's join directly, and kick -> Bob's power levels -> Bob's join.
        assertThat(subgraph).containsExactlyInAnyOrder(f.kick.eventId(), f.bobJoin.eventId(),
                f.bobsPowerLevels.eventId());
        // The power levels are in both forks' chains: the auth difference alone would miss them.
        assertThat(StateResolver.authDifference(List.of(f.a.stateIds(), f.b.stateIds()), f.room.lookup()))
                .doesNotContain(f.bobsPowerLevels.eventId()).contains(f.kick.eventId());
        assertThat(StateResolver.conflictedSubgraph(Set.of(f.kick.eventId()), f.room.lookup()))
                .containsExactly(f.kick.eventId());
    }

    @Test
    @DisplayName("v2.1: resolution from an empty state finds the create event through the room ID; creators outrank all")
    void v12Resolution() {
        KickFork f = new KickFork(RoomVersions.V12);
        Map<StateKey, String> resolved = resolve(f.a, f.b);
        assertThat(resolved.get(StateKey.member(BOB))).isEqualTo(f.kick.eventId());
        assertThat(resolved.get(StateKey.POWER_LEVELS)).isEqualTo(f.bobsPowerLevels.eventId());
        assertThat(resolved.get(StateKey.CREATE)).isEqualTo(f.room.get(StateKey.CREATE).eventId());
        assertThat(resolved.get(TOPIC)).isEqualTo(f.b.get(TOPIC).eventId());

        // In v11 Alice's 100 is not above Bob's 100: the kick fails and Bob stays.
        KickFork v11 = new KickFork(RoomVersions.V11);
        assertThat(resolve(v11.a, v11.b).get(StateKey.member(BOB))).isEqualTo(v11.bobJoin.eventId());
    }

    @Test
    @DisplayName("v2.1 against v2: MSC4297 problem A, where one fork's state is inconsistent")
    void msc4297ProblemA() {
        for (RoomVersion v : List.of(RoomVersions.V11, RoomVersions.V12)) {
            TestRoom room = TestRoom.empty(v);
            Pdu create = room.createEvent(ALICE).add();
            room.join(ALICE).add();
            Pdu pl = room.powerLevels(v.roomIdIsCreateEventHash() ? Map.of() : Map.of(ALICE, 100L)).add();
            Pdu publicRules = room.joinRules("public").add();
            Pdu bobJoin = room.join(BOB).add();
            Pdu carolJoin = room.join(CAROL).add();
            Pdu inviteRules = room.joinRules("invite").add();
            Pdu aliceLeave = room.member(ALICE, ALICE, "leave").add();
            Pdu bobRenamed = room.join(BOB).content("displayname", "bob++").add();
            Pdu carolRenamed = room.join(CAROL).content("displayname", "carol++").add();
            // Carol's server holds the old join rules together with Alice's later leave.
            Map<StateKey, String> bobs = idsOf(create, pl, carolJoin, inviteRules, aliceLeave, bobRenamed);
            Map<StateKey, String> carols = idsOf(create, pl, publicRules, bobJoin, aliceLeave, carolRenamed);
            Map<StateKey, String> resolved = StateResolver.resolve(v, List.of(bobs, carols), room.lookup());
            assertThat(resolved.get(StateKey.member(ALICE))).isEqualTo(aliceLeave.eventId());
            assertThat(resolved.get(StateKey.member(BOB))).isEqualTo(bobRenamed.eventId());
            assertThat(resolved.get(StateKey.member(CAROL))).isEqualTo(carolRenamed.eventId());
            if (v.roomIdIsCreateEventHash()) {
                // v2.1 authorises the join rules against their auth events, where Alice is still joined.
                assertThat(resolved.get(StateKey.JOIN_RULES)).isEqualTo(inviteRules.eventId());
            } else {
                // v2 starts from the unconflicted state, where Alice has left: both join rules fail.
                assertThat(resolved).doesNotContainKey(StateKey.JOIN_RULES);
            }
        }
    }

    @Test
    @DisplayName("v2.1 against v2: MSC4297 problem B, where the conflicted subgraph prevents a state reset")
    void msc4297ProblemB() {
        String zara = "@zara:z.example";
        for (RoomVersion v : List.of(RoomVersions.V11, RoomVersions.V12)) {
            boolean v12 = v.roomIdIsCreateEventHash();
            TestRoom room = TestRoom.empty(v);
            Pdu create = room.createEvent(ALICE).add();
            Pdu alice = room.join(ALICE).add();
            Pdu pl0 = room.powerLevels(v12 ? Map.of() : Map.of(ALICE, 100L)).add();
            Pdu rules = room.joinRules("public").add();
            Pdu bob = room.join(BOB).add();
            Pdu carol = room.join(CAROL).add();
            Map<String, Long> users = new LinkedHashMap<>();
            if (!v12) {
                users.put(ALICE, 100L);
            }
            users.put(BOB, 50L);
            room.powerLevels(users).add();
            users.put(CAROL, 50L);
            Pdu pl2 = room.powerLevels(users).sender(BOB).add();
            Pdu zaraJoin = room.join(zara).add();
            room.join(TestRoom.EVE).add();
            Pdu eveRenamed = room.join(TestRoom.EVE).content("displayname", "eve++").add();
            // Eve's server holds the first power levels, though her events cite the third.
            Map<StateKey, String> eves = idsOf(create, alice, pl0, rules, bob, carol, eveRenamed);
            Map<StateKey, String> zaras = idsOf(create, alice, rules, bob, carol, pl2, zaraJoin);
            Map<StateKey, String> resolved = StateResolver.resolve(v, List.of(eves, zaras), room.lookup());
            assertThat(resolved.get(StateKey.member(TestRoom.EVE))).isEqualTo(eveRenamed.eventId());
            assertThat(resolved.get(StateKey.member(zara))).isEqualTo(zaraJoin.eventId());
            // v2 never re-checks the second power levels event, so Bob can't make the third: a reset.
            // v2.1's subgraph holds it (on the path third -> second -> first), and the third stands.
            assertThat(resolved.get(StateKey.POWER_LEVELS)).as("room version " + v.id())
                    .isEqualTo(v12 ? pl2.eventId() : pl0.eventId());
        }
    }

    @Test
    @DisplayName("v2: an event only in one fork's auth chain can end up in the resolved state")
    void authDifferenceEventCanWin() {
        TestRoom room = moderated(V10);
        Pdu publicRules = room.get(StateKey.JOIN_RULES);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu inviteOnly = a.joinRules("invite").add();
        a.member(ALICE, TestRoom.DAVE, "invite").add();
        Pdu daveJoin = a.join(TestRoom.DAVE).add(); // cites the invite-only rules, putting them in A's auth chain
        Pdu bobsRules = a.joinRules("public").sender(BOB).add();
        Pdu demotion = b.powerLevels(Map.of(ALICE, 100L)).add();
        Map<StateKey, String> resolved = resolve(a, b);
        assertThat(resolved.get(StateKey.POWER_LEVELS)).isEqualTo(demotion.eventId());
        // Bob's rules fail once he is demoted; Alice's invite-only rules, in neither state, remain.
        assertThat(resolved.get(StateKey.JOIN_RULES)).isEqualTo(inviteOnly.eventId())
                .isNotIn(publicRules.eventId(), bobsRules.eventId());
        assertThat(resolved.get(StateKey.member(TestRoom.DAVE))).isEqualTo(daveJoin.eventId());
    }

    private static Map<StateKey, String> idsOf(Pdu... events) {
        Map<StateKey, String> ids = new HashMap<>();
        for (Pdu e : events) {
            ids.put(StateKey.of(e), e.eventId());
        }
        return ids;
    }

    @Test
    @DisplayName("v2.1: a ban beats a concurrent join in a room version 12 room")
    void v12BanBeatsJoin() {
        TestRoom room = TestRoom.standard(RoomVersions.V12, "public");
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu ban = a.member(ALICE, CAROL, "ban").ts(6_000).add();
        b.join(CAROL).ts(7_000).add();
        assertThat(resolve(a, b).get(StateKey.member(CAROL))).isEqualTo(ban.eventId());
    }

    @Test
    @DisplayName("v2.1: a rejected auth event is not used to fill the state during iterative auth checks")
    void rejectedAuthEventsAreNotUsed() {
        for (boolean rejected : new boolean[] {false, true}) {
            TestRoom room = TestRoom.standard(RoomVersions.V12, "public");
            Pdu original = room.get(StateKey.JOIN_RULES);
            room.join(BOB).add();
            Pdu grant = room.powerLevels(Map.of(BOB, 50L)).add();
            TestRoom a = room.fork();
            TestRoom b = room.fork();
            Pdu bobsRules = a.joinRules("invite").sender(BOB).add();
            topic(b, ALICE, "b").add();
            if (rejected) {
                room.markRejected(grant);
            }
            String winner = resolve(a, b).get(StateKey.JOIN_RULES);
            assertThat(winner).as("grant rejected: " + rejected)
                    .isEqualTo(rejected ? original.eventId() : bobsRules.eventId());
        }
    }

    // ---- v1 -----------------------------------------------------------------------------------

    @Test
    @DisplayName("v1: power levels are chained by ascending depth until one fails; other slots take the deepest that passes")
    void v1Resolution() {
        TestRoom room = moderated(RoomVersions.V1);
        Pdu welcome = room.get(TOPIC);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu demotion = a.powerLevels(Map.of(ALICE, 100L)).add();
        topic(b, BOB, "bob's topic").add();
        Pdu bobsPl = b.powerLevels(Map.of(ALICE, 100L, BOB, 50L), "state_default", 40L).sender(BOB).add();
        assertThat(bobsPl.depth()).isGreaterThan(demotion.depth());
        Map<StateKey, String> resolved = resolve(a, b);
        // The demotion (shallower) goes in first; Bob's deeper change then fails against it.
        assertThat(resolved.get(StateKey.POWER_LEVELS)).isEqualTo(demotion.eventId());
        // Bob's deeper topic fails under the demotion; Alice's older one passes.
        assertThat(resolved.get(TOPIC)).isEqualTo(welcome.eventId());
    }

    @Test
    @DisplayName("v1: a deeper power levels event that passes replaces the shallower one")
    void v1DeeperPowerLevelsWin() {
        TestRoom room = moderated(RoomVersions.V1);
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        a.powerLevels(Map.of(ALICE, 100L, BOB, 10L)).add();
        topic(b, ALICE, "deeper").add();
        Pdu deeper = b.powerLevels(Map.of(ALICE, 100L, BOB, 20L)).add();
        Map<StateKey, String> resolved = resolve(a, b);
        assertThat(resolved.get(StateKey.POWER_LEVELS)).isEqualTo(deeper.eventId());
        assertThat(resolved.get(TOPIC)).isEqualTo(b.get(TOPIC).eventId());
    }

    @Test
    @DisplayName("v1: a ban and a join at the same depth: membership conflicts resolve against the power levels")
    void v1MembershipConflict() {
        TestRoom room = TestRoom.standard(RoomVersions.V1, "public");
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu ban = a.member(ALICE, CAROL, "ban").add();
        Pdu join = b.join(CAROL).add();
        String winner = resolve(a, b).get(StateKey.member(CAROL));
        // Sorted by ascending depth then descending sha1; the second must pass against the first.
        assertThat(winner).isIn(ban.eventId(), join.eventId());
        // A ban after the join passes; a join after the ban doesn't: so the ban always wins.
        assertThat(winner).isEqualTo(ban.eventId());
    }

    // ---- cost ---------------------------------------------------------------------------------

    @Test
    @DisplayName("each event is looked up at most once per resolution, in a room of 3,000 members")
    void looksUpEachEventOnce() {
        TestRoom room = TestRoom.standard(V10, "public");
        for (int i = 0; i < 3_000; i++) {
            room.join("@u" + i + ":m.example").add();
        }
        TestRoom a = room.fork();
        TestRoom b = room.fork();
        Pdu ta = topic(a, ALICE, "a").ts(1).add();
        Pdu tb = topic(b, ALICE, "b").ts(2).add();
        a.member(ALICE, "@u7:m.example", "ban").add();
        Map<String, Integer> calls = new HashMap<>();
        EventLookup base = room.lookup();
        EventLookup counting = id -> {
            calls.merge(id, 1, Integer::sum);
            return base.get(id);
        };
        long start = System.nanoTime();
        Map<StateKey, String> resolved = StateResolver.resolve(V10, List.of(a.stateIds(), b.stateIds()), counting);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(resolved.get(TOPIC)).isEqualTo(tb.eventId());
        assertThat(resolved.get(StateKey.member("@u7:m.example")))
                .isEqualTo(a.get(StateKey.member("@u7:m.example")).eventId());
        assertThat(ta).isNotNull();
        assertThat(calls.values()).allMatch(n -> n == 1);
        assertThat(millis).as("milliseconds").isLessThan(5_000);
    }
}
