package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.publicRoom;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;
import static org.vestibule.support.Eventually.until;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;

/**
 * Users of both servers joining, leaving, rejoining, renaming and talking in one room all at once,
 * while its creator changes the topic: afterwards both servers hold the same state, slot for slot,
 * with the same event in each. What is concurrent here is resolved by each server on its own (state
 * resolution v2 over the forks each saw), so only the same answer on both sides passes.
 */
@DisplayName("Churn")
class ChurnInteropTests {

    private static final int PER_SERVER = 10;
    private static final int ROUNDS = 6;

    static Synapse synapse;
    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> new String[0]);
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    @ParameterizedTest(name = "a room on {0}: joins, leaves, renames and messages from both servers at once end in one state")
    @ValueSource(strings = {"Synapse", "Vestibule"})
    void concurrentMembershipChangesEndInTheSameStateOnBoth(String host) throws Exception {
        boolean onSynapse = host.equals("Synapse");
        Member creator = onSynapse ? synapseUser(synapse, "creator") : vestibuleUser(servers.get(0), "creator");
        String via = creator.server();
        String room = creator.createRoom(publicRoom(10));
        List<Member> users = new ArrayList<>();
        for (int i = 0; i < PER_SERVER; i++) {
            users.add(synapseUser(synapse, "churn"));
            users.add(vestibuleUser(servers.get(0), "churn"));
        }
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            all(pool, users.stream().map(m -> (Action) () -> m.join(room, via)).toList());
            Set<String> joined = new HashSet<>();
            users.forEach(m -> joined.add(m.id()));
            Random random = new Random(7);
            for (int round = 0; round < ROUNDS; round++) {
                List<Action> actions = new ArrayList<>();
                String topic = "topic " + round;
                actions.add(() -> creator.client().sendState(creator.user(), room, "m.room.topic", "", Map.of("topic", topic)));
                for (Member m : users) {
                    if (!joined.contains(m.id())) {
                        joined.add(m.id());
                        actions.add(() -> m.join(room, via));
                        continue;
                    }
                    int pick = random.nextInt(4);
                    if (pick == 0) {
                        joined.remove(m.id());
                        actions.add(() -> m.leave(room));
                    } else if (pick == 1) {
                        String name = "name " + round;
                        actions.add(() -> m.client().sendState(m.user(), room, "m.room.member", m.id(),
                                Map.of("membership", "join", "displayname", name)));
                    } else {
                        String body = "round " + round;
                        actions.add(() -> m.client().sendMessage(m.user(), room, body));
                    }
                }
                all(pool, actions);
            }
            joined.add(creator.id());
            Member other = users.stream().filter(m -> !m.server().equals(via) && joined.contains(m.id())).findFirst()
                    .orElseThrow();
            until("both servers holding the same state of " + room, () -> {
                Map<List<String>, String> here = state(creator, room);
                return here != null && here.equals(state(other, room));
            });
            assertThat(creator.joinedMembers(room).keySet()).containsExactlyInAnyOrderElementsOf(joined);
        } finally {
            pool.shutdown();
        }
    }

    @FunctionalInterface
    interface Action {
        Response run();
    }

    /** Runs the actions at once; each must succeed. */
    private static void all(ExecutorService pool, List<Action> actions) throws Exception {
        List<Future<Response>> running = new ArrayList<>();
        for (Action a : actions) {
            running.add(pool.submit(a::run));
        }
        for (Future<Response> f : running) {
            Response r = f.get();
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
        }
    }

    /** The room's state as one member's server holds it: (type, state key) to event ID; null if unreadable. */
    @SuppressWarnings("unchecked")
    private static Map<List<String>, String> state(Member member, String room) {
        Response r = member.client().roomState(member.user(), room);
        if (r.status() != 200) {
            return null;
        }
        Map<List<String>, String> slots = new HashMap<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) r.body().get("_list")) {
            slots.put(List.of((String) e.get("type"), (String) e.get("state_key")), (String) e.get("event_id"));
        }
        return slots;
    }
}
