package org.vestibule.clientapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * The same request many times at once, as a client that retries or a harness that races itself
 * sends it: one registration of a name (the others 400 M_USER_IN_USE, the account the winner's),
 * one event per transaction ID, one room per alias (the others refused, with no room left behind),
 * a repeated identical join sends nothing, and the rooms end showing the profile's last value.
 */
class ConcurrentClientRequestsIntegrationTests {

    private static final int AT_ONCE = 10;

    static TestHomeservers servers;
    static MatrixClient hs;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(1);
        hs = new MatrixClient(servers.get(0).clientBaseUrl());
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    /** Runs the calls together, released at once, and returns their answers in order. */
    private static List<Response> atOnce(int n, Callable<Response> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Response>> running = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                running.add(pool.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            List<Response> answers = new ArrayList<>();
            for (Future<Response> f : running) {
                answers.add(f.get());
            }
            return answers;
        } finally {
            pool.shutdown();
        }
    }

    private static long count(List<Response> answers, int status) {
        return answers.stream().filter(r -> r.status() == status).count();
    }

    @Test
    void oneNameIsRegisteredOnceAndStaysTheFirstRegistrantsAccount() throws Exception {
        String name = unique("race");
        List<String> passwords = new ArrayList<>();
        for (int i = 0; i < AT_ONCE; i++) {
            passwords.add("password-" + i + "-" + name);
        }
        int[] next = {0};
        List<Response> answers = atOnce(AT_ONCE, () -> {
            String password;
            synchronized (next) {
                password = passwords.get(next[0]++);
            }
            return hs.post("/_matrix/client/v3/register", null, Map.of("username", name, "password", password,
                    "auth", Map.of("type", "m.login.dummy")));
        });
        assertThat(count(answers, 200)).as(answers.toString()).isEqualTo(1);
        assertThat(answers).filteredOn(r -> r.status() != 200)
                .allSatisfy(r -> assertThat(r.errcode()).isEqualTo("M_USER_IN_USE"));
        // Exactly one password logs in: the account was not taken over by a later registration.
        long working = passwords.stream().filter(p -> hs.post("/_matrix/client/v3/login", null, Map.of(
                "type", "m.login.password", "identifier", Map.of("type", "m.id.user", "user", name),
                "password", p)).status() == 200).count();
        assertThat(working).isEqualTo(1);
    }

    @Test
    void oneTransactionIdSentAtOnceIsOneEvent() throws Exception {
        User alice = hs.register(unique("alice"));
        String room = hs.createRoom(alice, Map.of("preset", "public_chat"));
        String path = "/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/send/m.room.message/retried";
        List<Response> answers = atOnce(AT_ONCE, () -> hs.put(path, alice.accessToken(),
                Map.of("msgtype", "m.text", "body", "once")));
        assertThat(answers).allSatisfy(r -> assertThat(r.status()).as(r.raw()).isEqualTo(200));
        assertThat(answers.stream().map(r -> r.string("event_id")).distinct()).hasSize(1);
        Response page = hs.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/messages?dir=b&limit=50",
                alice.accessToken()).expect(200);
        assertThat(Json.list(page.body(), "chunk")).filteredOn(e -> "m.room.message".equals(((Map<?, ?>) e).get("type")))
                .hasSize(1);
    }

    @Test
    void oneAliasAskedForByManyNewRoomsIsOneRoom() throws Exception {
        User alice = hs.register(unique("alice"));
        String aliasName = unique("lobby");
        List<Response> answers = atOnce(AT_ONCE, () -> hs.post("/_matrix/client/v3/createRoom", alice.accessToken(),
                Map.of("preset", "public_chat", "room_alias_name", aliasName)));
        assertThat(count(answers, 200)).as(answers.toString()).isEqualTo(1);
        assertThat(answers).filteredOn(r -> r.status() != 200)
                .allSatisfy(r -> assertThat(r.errcode()).isEqualTo("M_ROOM_IN_USE"));
        Response joined = hs.get("/_matrix/client/v3/joined_rooms", alice.accessToken()).expect(200);
        assertThat(Json.list(joined.body(), "joined_rooms")).as("rooms left behind by the refused requests")
                .containsExactly(answers.stream().filter(r -> r.status() == 200).findFirst().orElseThrow()
                        .string("room_id"));
    }

    @Test
    void joiningARoomOneIsInWithTheSameProfileSendsNothing() {
        User alice = hs.register(unique("alice"));
        User bob = hs.register(unique("bob"));
        String room = hs.createRoom(alice, Map.of("preset", "public_chat"));
        hs.join(bob, room).expect(200);
        String first = hs.getState(bob, room, "m.room.member", bob.userId()).expect(200).string("membership");
        assertThat(first).isEqualTo("join");
        String before = eventIdOfMembership(alice, room, bob.userId());
        hs.join(bob, room).expect(200);
        assertThat(eventIdOfMembership(alice, room, bob.userId())).isEqualTo(before);
    }

    @Test
    void profileChangesAtOnceLeaveTheRoomsShowingTheProfile() throws Exception {
        User alice = hs.register(unique("alice"));
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rooms.add(hs.createRoom(alice, Map.of("preset", "public_chat")));
        }
        String path = "/_matrix/client/v3/profile/" + MatrixClient.encode(alice.userId()) + "/displayname";
        int[] next = {0};
        List<Response> answers = atOnce(AT_ONCE, () -> {
            int n;
            synchronized (next) {
                n = next[0]++;
            }
            return hs.put(path, alice.accessToken(), Map.of("displayname", "alice " + n));
        });
        assertThat(answers).allSatisfy(r -> assertThat(r.status()).as(r.raw()).isEqualTo(200));
        String profile = hs.get(path, null).expect(200).string("displayname");
        for (String room : rooms) {
            assertThat(hs.getState(alice, room, "m.room.member", alice.userId()).expect(200).string("displayname"))
                    .as("alice's member event in " + room).isEqualTo(profile);
        }
    }

    @SuppressWarnings("unchecked")
    private static String eventIdOfMembership(User reader, String room, String userId) {
        for (Map<String, Object> e : (List<Map<String, Object>>) hs.roomState(reader, room).expect(200).body().get("_list")) {
            if ("m.room.member".equals(e.get("type")) && userId.equals(e.get("state_key"))) {
                return (String) e.get("event_id");
            }
        }
        return null;
    }
}
