package org.vestibule.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.auth.AuthEventSelection;
import org.vestibule.auth.StateKey;
import org.vestibule.auth.StateResolver;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * Many writers at once, on the tip and on forks: afterwards the current state equals state
 * resolution over the stored graph's extremities, and every accepted event passes the auth rules
 * against its auth events and against the state before it.
 */
@VestibuleIntegrationTest
class ConcurrentRoomWritesIntegrationTests {

    @Autowired RoomCreator creator;
    @Autowired LocalEvents localEvents;
    @Autowired EventPersister persister;
    @Autowired EventGraph graph;
    @Autowired ServerKeyring keyring;
    @Autowired JdbcTemplate jdbc;
    @Autowired StateGroups stateGroups;

    private String user(int i) {
        return "@u" + i + ":" + keyring.serverName();
    }

    @Test
    void randomConcurrentMembershipPowerAndJoinRuleChangesKeepStateConsistent() throws Exception {
        RoomVersion version = RoomVersions.V10;
        String alice = user(0);
        String roomId = creator.create(new NewRoom(alice, version, "public_chat", Map.of(), List.of(),
                Map.of("users", Map.of(alice, 100L, user(1), 50L)), null, null, null, List.of(), false));
        for (int i = 1; i <= 6; i++) {
            localEvents.send(roomId, user(i), "m.room.member", user(i), Map.of("membership", "join"));
        }

        int threads = 4;
        int steps = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = 1000 + t;
            results.add(pool.submit(() -> randomWalk(roomId, version, new Random(seed), steps)));
        }
        int accepted = 0;
        for (Future<Integer> f : results) {
            accepted += f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertThat(accepted).isPositive();

        // Current state = resolution over the states after the forward extremities.
        List<String> extremities = jdbc.queryForList("select event_id from forward_extremities where room_id = ?",
                String.class, roomId);
        List<Map<StateKey, String>> sets = new ArrayList<>();
        for (String e : extremities) {
            sets.add(graph.stateAfter(e).orElseThrow().toMap());
        }
        Map<StateKey, String> resolved = StateResolver.resolve(version, sets, graph.lookup());
        Map<StateKey, String> current = new HashMap<>();
        jdbc.query("select type, state_key, event_id from current_state where room_id = ?",
                rs -> { current.put(new StateKey(rs.getString(1), rs.getString(2)), rs.getString(3)); }, roomId);
        assertThat(current).isEqualTo(resolved);

        // Memberships agree with current state.
        Map<String, String> membershipRows = new HashMap<>();
        jdbc.query("select user_id, event_id from room_memberships where room_id = ?",
                rs -> { membershipRows.put(rs.getString(1), rs.getString(2)); }, roomId);
        Map<String, String> membersInState = new HashMap<>();
        current.forEach((k, id) -> {
            if (k.type().equals("m.room.member")) {
                membersInState.put(k.stateKey(), id);
            }
        });
        assertThat(membershipRows).isEqualTo(membersInState);

        // Every accepted event passes the auth rules on its auth events and on the state before it,
        // and the stored state before it is the resolution over its prev events.
        List<String> ids = jdbc.queryForList("select event_id from events where room_id = ? and rejection_reason is null "
                + "and not outlier order by stream_ordering", String.class, roomId);
        for (String id : ids) {
            Pdu event = graph.event(id).orElseThrow();
            Map<String, Pdu> auth = graph.events(event.authEvents());
            assertThat(persister.checkAgainstAuthEvents(event, auth).allowed()).as("auth events of %s", id).isTrue();
            RoomState before = graph.stateBefore(id).orElseThrow();
            assertThat(persister.checkAgainstState(event, before).allowed()).as("state before %s", id).isTrue();
            if (event.prevEvents().size() > 1) {
                List<Map<StateKey, String>> prevStates = new ArrayList<>();
                for (String p : event.prevEvents()) {
                    prevStates.add(graph.stateAfter(p).orElseThrow().toMap());
                }
                assertThat(before.toMap()).isEqualTo(StateResolver.resolve(version, prevStates, graph.lookup()));
            }
        }
    }

    /** One writer: random changes, sometimes on the tip, sometimes on an older event (a fork). */
    private int randomWalk(String roomId, RoomVersion version, Random random, int steps) {
        int accepted = 0;
        for (int i = 0; i < steps; i++) {
            String sender = user(random.nextInt(7));
            String target = user(1 + random.nextInt(6));
            String type;
            String stateKey;
            Map<String, Object> content;
            switch (random.nextInt(6)) {
                case 0 -> {
                    type = "m.room.join_rules";
                    stateKey = "";
                    content = Map.of("join_rule", random.nextBoolean() ? "public" : "invite");
                }
                case 1 -> {
                    type = "m.room.power_levels";
                    stateKey = "";
                    Map<String, Object> users = new LinkedHashMap<>();
                    users.put(user(0), 100L);
                    users.put(target, (long) (random.nextInt(3) * 50));
                    content = Map.of("users", users, "invite", 50L, "kick", 50L, "ban", 50L, "state_default", 50L);
                }
                case 2 -> {
                    type = "m.room.member";
                    stateKey = target;
                    content = Map.of("membership", random.nextBoolean() ? "ban" : "leave");
                }
                case 3 -> {
                    type = "m.room.member";
                    stateKey = target;
                    content = Map.of("membership", "invite");
                }
                case 4 -> {
                    type = "m.room.member";
                    stateKey = sender;
                    content = Map.of("membership", random.nextInt(3) == 0 ? "leave" : "join");
                }
                default -> {
                    type = "m.room.topic";
                    stateKey = "";
                    content = Map.of("topic", "t" + random.nextInt(1000));
                }
            }
            try {
                if (random.nextInt(3) == 0) {
                    if (forkedEvent(roomId, version, random, sender, type, stateKey, content)) {
                        accepted++;
                    }
                } else {
                    localEvents.send(roomId, sender, type, stateKey, content);
                    accepted++;
                }
            } catch (MatrixException e) {
                // The auth rules refused it: fine, that is part of the walk.
            }
        }
        return accepted;
    }

    /** An event whose prev event is a random recent one, as a remote server's concurrent event would be. */
    private boolean forkedEvent(String roomId, RoomVersion version, Random random, String sender, String type,
                                String stateKey, Map<String, Object> content) {
        List<String> recent = jdbc.queryForList("select event_id from events where room_id = ? and rejection_reason is null "
                + "and not outlier and state_after is not null order by stream_ordering desc limit 8", String.class, roomId);
        if (recent.isEmpty()) {
            return false;
        }
        Collections.shuffle(recent, random);
        String prevId = recent.get(0);
        Pdu prev = graph.event(prevId).orElseThrow();
        RoomState state = graph.stateAfter(prevId).orElseThrow();
        List<StateKey> keys = AuthEventSelection.select(version, type, stateKey, sender, content);
        List<String> auth = new ArrayList<>(graph.stateEvents(state, keys).values().stream().map(Pdu::eventId).toList());
        Map<String, Object> event = UnsignedEvents.stateEvent(roomId, sender, type, stateKey, content, prev.depth() + 1,
                List.of(prevId), auth);
        Pdu pdu = localEvents.sign(event, version);
        PersistOutcome outcome = persister.persist(pdu);
        return outcome instanceof PersistOutcome.Stored s && !s.softFailed();
    }

}
