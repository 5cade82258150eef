package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.auth.AuthEventSelection;
import org.vestibule.auth.StateKey;
import org.vestibule.auth.StateResolver;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.StateGroups.Planned;
import org.vestibule.room.StateGroups.Stored;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * State groups as PostgreSQL holds them, read back without the cache: a state and the state
 * after it stored in one statement, as deltas or snapshots, and an event on some of a room's
 * forks, whose resolved state before is stored with the state after it.
 */
@VestibuleIntegrationTest
class StateGroupsIntegrationTests {

    @Autowired StateGroups stateGroups;
    @Autowired JdbcTemplate jdbc;
    @Autowired RoomCreator creator;
    @Autowired LocalEvents localEvents;
    @Autowired EventPersister persister;
    @Autowired EventGraph graph;
    @Autowired ServerKeyring keyring;

    private static RoomState state(int members) {
        Map<StateKey, String> slots = new LinkedHashMap<>();
        slots.put(StateKey.CREATE, "$create");
        for (int i = 0; i < members; i++) {
            slots.put(StateKey.member("@m" + i + ":example.org"), "$join" + i);
        }
        return RoomState.of(slots);
    }

    private String newRoom() {
        return creator.create(new NewRoom("@alice:" + keyring.serverName(), RoomVersions.V10, "public_chat", Map.of(),
                List.of(), Map.of(), null, null, null, List.of(), false));
    }

    private RoomState fromDatabase(long group) {
        return new StateGroups(jdbc).load(group);
    }

    private record Pair(long first, long second) {}

    /** A state and the one after it, planned on each other and stored in one statement, as an event's are. */
    private Pair storeFollowed(String roomId, RoomState first, Long prevGroup, RoomState prevState, RoomState second) {
        Planned one = stateGroups.plan(roomId, first, prevGroup == null ? null : new Stored(prevGroup),
                prevState);
        List<Long> ids = stateGroups.store(List.of(one, stateGroups.plan(roomId, second, one, first)));
        return new Pair(ids.get(0), ids.get(1));
    }

    private Map<String, Object> row(long group) {
        return jdbc.queryForMap("select prev_group, chain_depth, state_size from state_groups where id = ?", group);
    }

    @Test
    void aStateAndTheOneAfterItStoredTogetherReadBackAsDeltasOrSnapshots() {
        String roomId = newRoom();
        RoomState base = state(3);
        long baseGroup = stateGroups.store(roomId, base, null, null);

        // On a short chain: both deltas, the second on the first.
        RoomState first = state(5);
        RoomState second = first.with(StateKey.member("@late:example.org"), "$late");
        Pair pair = storeFollowed(roomId, first, baseGroup, base, second);
        assertThat(fromDatabase(pair.first())).isEqualTo(first);
        assertThat(fromDatabase(pair.second())).isEqualTo(second);
        assertThat(row(pair.first())).containsEntry("prev_group", baseGroup).containsEntry("chain_depth", 1);
        assertThat(row(pair.second())).containsEntry("prev_group", pair.first()).containsEntry("chain_depth", 2)
                .containsEntry("state_size", 7);

        // With no previous group: a snapshot, then a delta on it.
        Pair fresh = storeFollowed(roomId, first, null, null, second);
        assertThat(row(fresh.first())).containsEntry("prev_group", null).containsEntry("chain_depth", 0);
        assertThat(row(fresh.second())).containsEntry("prev_group", fresh.first()).containsEntry("chain_depth", 1);
        assertThat(fromDatabase(fresh.second())).isEqualTo(second);

        // The first ends a chain at its longest: the second starts anew as a snapshot.
        long tip = baseGroup;
        RoomState tipState = base;
        for (int depth = 1; depth <= 99; depth++) {
            RoomState next = tipState.with(StateKey.member("@c" + depth + ":example.org"), "$c" + depth);
            tip = stateGroups.store(roomId, next, tip, tipState);
            tipState = next;
        }
        RoomState last = tipState.with(StateKey.TOPIC, "$topic");
        RoomState afterLast = last.with(StateKey.NAME, "$name");
        Pair longChain = storeFollowed(roomId, last, tip, tipState, afterLast);
        assertThat(row(longChain.first())).containsEntry("prev_group", tip).containsEntry("chain_depth", 100);
        assertThat(row(longChain.second())).containsEntry("prev_group", null).containsEntry("chain_depth", 0);
        assertThat(fromDatabase(longChain.first())).isEqualTo(last);
        assertThat(fromDatabase(longChain.second())).isEqualTo(afterLast);
    }

    @Test
    void anEventOnSomeOfTheForksHasItsResolvedStateBeforeAndAfterStored() {
        RoomVersion version = RoomVersions.V10;
        String alice = "@alice:" + keyring.serverName();
        String roomId = newRoom();
        String tip = localEvents.send(roomId, alice, "m.room.topic", "", Map.of("topic", "forks")).eventId();
        // Three joins on the same event: three forks.
        List<String> forks = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String user = "@f" + i + ":" + keyring.serverName();
            forks.add(persist(event(roomId, version, user, "m.room.member", user, Map.of("membership", "join"),
                    List.of(tip))).eventId());
        }

        // A join on two of them: its state before is their resolution, a state no group held yet.
        String joiner = "@f4:" + keyring.serverName();
        Pdu join = persist(event(roomId, version, joiner, "m.room.member", joiner, Map.of("membership", "join"),
                forks.subList(0, 2)));
        Map<StateKey, String> resolved = resolution(version, forks.subList(0, 2));
        Map<String, Object> placed = jdbc.queryForMap("select state_before, state_after, rejection_reason from events "
                + "where event_id = ?", join.eventId());
        assertThat(placed.get("rejection_reason")).isNull();
        assertThat(fromDatabase((Long) placed.get("state_before")).toMap()).isEqualTo(resolved);
        Map<StateKey, String> after = new LinkedHashMap<>(resolved);
        after.put(StateKey.member(joiner), join.eventId());
        assertThat(fromDatabase((Long) placed.get("state_after")).toMap()).isEqualTo(after);

        // A refused event on the other two: its state before is stored alone, and is its state after.
        String stranger = "@stranger:" + keyring.serverName();
        Pdu refused = localEvents.sign(unsigned(roomId, stranger, "m.room.topic", "", Map.of("topic", "not a member"),
                forks.subList(1, 3), authEvents(version, forks.subList(1, 3), "m.room.topic", "", stranger)), version);
        assertThat(persister.persist(refused)).isInstanceOf(PersistOutcome.Rejected.class);
        Map<String, Object> rejected = jdbc.queryForMap("select state_before, state_after from events where event_id = ?",
                refused.eventId());
        assertThat(rejected.get("state_after")).isEqualTo(rejected.get("state_before"));
        assertThat(fromDatabase((Long) rejected.get("state_before")).toMap())
                .isEqualTo(resolution(version, forks.subList(1, 3)));

        // The current state is the resolution over the extremities (the join and the third fork).
        List<String> extremities = jdbc.queryForList("select event_id from forward_extremities where room_id = ?",
                String.class, roomId);
        assertThat(extremities).containsExactlyInAnyOrder(join.eventId(), forks.get(2));
        Map<StateKey, String> current = new LinkedHashMap<>();
        jdbc.query("select type, state_key, event_id from current_state where room_id = ?",
                rs -> { current.put(new StateKey(rs.getString(1), rs.getString(2)), rs.getString(3)); }, roomId);
        assertThat(current).isEqualTo(resolution(version, extremities));
    }

    private Map<StateKey, String> resolution(RoomVersion version, List<String> events) {
        List<Map<StateKey, String>> states = new ArrayList<>();
        for (String e : events) {
            states.add(graph.stateAfter(e).orElseThrow().toMap());
        }
        return StateResolver.resolve(version, states, graph.lookup());
    }

    private Pdu persist(Pdu event) {
        PersistOutcome outcome = persister.persist(event);
        assertThat(outcome).isInstanceOf(PersistOutcome.Stored.class);
        assertThat(((PersistOutcome.Stored) outcome).softFailed()).isFalse();
        return event;
    }

    private Pdu event(String roomId, RoomVersion version, String sender, String type, String stateKey,
                      Map<String, Object> content, List<String> prevs) {
        return localEvents.sign(unsigned(roomId, sender, type, stateKey, content, prevs,
                authEvents(version, prevs, type, stateKey, sender, content)), version);
    }

    private List<String> authEvents(RoomVersion version, List<String> prevs, String type, String stateKey,
                                    String sender) {
        return authEvents(version, prevs, type, stateKey, sender, Map.of());
    }

    private List<String> authEvents(RoomVersion version, List<String> prevs, String type, String stateKey,
                                    String sender, Map<String, Object> content) {
        RoomState state = RoomState.of(resolution(version, prevs));
        List<StateKey> keys = AuthEventSelection.select(version, type, stateKey, sender, content);
        return new ArrayList<>(graph.stateEvents(state, keys).values().stream().map(Pdu::eventId).toList());
    }

    private Map<String, Object> unsigned(String roomId, String sender, String type, String stateKey,
                                         Map<String, Object> content, List<String> prevs, List<String> auth) {
        long depth = 0;
        for (String p : prevs) {
            depth = Math.max(depth, graph.event(p).orElseThrow().depth());
        }
        return UnsignedEvents.stateEvent(roomId, sender, type, stateKey, content, depth + 1, prevs, auth);
    }
}
