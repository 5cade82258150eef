package org.vestibule.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.EphemeralSync.next;
import static org.vestibule.support.EphemeralSync.presence;
import static org.vestibule.support.EphemeralSync.receipt;
import static org.vestibule.support.EphemeralSync.sync;
import static org.vestibule.support.EphemeralSync.typing;
import static org.vestibule.support.EphemeralSync.until;
import static org.vestibule.support.TestNames.unique;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.support.EphemeralSync;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;

/**
 * Typing, receipts and presence between two Vestibule servers: each reaches the other server's
 * /sync in an incremental sync, both ways, as m.typing, m.receipt and m.presence EDUs in /send
 * transactions; and what a receiving server refuses to take from an EDU.
 */
class EphemeralEventsFederationIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static String hs1Name;
    static String hs2Name;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs1 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs1Name = servers.get(0).serverName();
        hs2Name = servers.get(1).serverName();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    /** Alice of hs1 in her room, Bob of hs2 joined to it, each past a first sync. */
    record Shared(User alice, User bob, String room, String aliceSince, String bobSince) {}

    static Shared shared() {
        User alice = hs1.register(unique("alice"));
        User bob = hs2.register(unique("bob"));
        String room = hs1.createRoom(alice, Map.of("preset", "public_chat"));
        hs2.join(bob, room, hs1Name).expect(200);
        String aliceSince = next(until(hs1, alice, null, "bob's join", b -> b.toString().contains(bob.userId())));
        String bobSince = next(until(hs2, bob, null, "the room", b -> EphemeralSync.at(b, "rooms", "join", room) != null));
        return new Shared(alice, bob, room, aliceSince, bobSince);
    }

    static Response type(MatrixClient client, User user, String room, boolean typing) {
        return client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/typing/"
                + MatrixClient.encode(user.userId()), user.accessToken(), typing ? Map.of("typing", true, "timeout", 30_000)
                : Map.of("typing", false));
    }

    static Response postReceipt(MatrixClient client, User user, String room, String type, String eventId, Map<String, Object> body) {
        return client.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/receipt/" + type + "/"
                + MatrixClient.encode(eventId), user.accessToken(), body);
    }

    static Response setPresence(MatrixClient client, User user, String presence, String statusMsg) {
        return client.put("/_matrix/client/v3/presence/" + MatrixClient.encode(user.userId()) + "/status",
                user.accessToken(), Map.of("presence", presence, "status_msg", statusMsg));
    }

    @Test
    void typingReachesTheOtherServerBothWays() {
        Shared s = shared();
        type(hs1, s.alice(), s.room(), true).expect(200);
        Map<String, Object> bobSees = until(hs2, s.bob(), s.bobSince(), "alice typing",
                b -> typing(b, s.room()) != null);
        assertThat(typing(bobSees, s.room())).containsExactly(s.alice().userId());

        type(hs2, s.bob(), s.room(), true).expect(200);
        Map<String, Object> aliceSees = until(hs1, s.alice(), s.aliceSince(), "both typing",
                b -> typing(b, s.room()) != null && typing(b, s.room()).size() == 2);
        assertThat(typing(aliceSees, s.room())).containsExactlyInAnyOrder(s.alice().userId(), s.bob().userId());

        type(hs1, s.alice(), s.room(), false).expect(200);
        type(hs2, s.bob(), s.room(), false).expect(200);
        until(hs2, s.bob(), next(bobSees), "nobody typing on hs2",
                b -> typing(b, s.room()) != null && typing(b, s.room()).isEmpty());
        until(hs1, s.alice(), next(aliceSees), "nobody typing on hs1",
                b -> typing(b, s.room()) != null && typing(b, s.room()).isEmpty());
    }

    @Test
    void receiptsReachTheOtherServerBothWaysAndPrivateOnesStayHome() {
        Shared s = shared();
        String message = hs1.sendMessage(s.alice(), s.room(), "read me").expect(200).string("event_id");
        hs2Eventually(s, message);

        postReceipt(hs2, s.bob(), s.room(), "m.read.private", message, Map.of()).expect(200);
        postReceipt(hs2, s.bob(), s.room(), "m.read", message, Map.of("thread_id", "main")).expect(200);
        Map<String, Object> aliceSees = until(hs1, s.alice(), s.aliceSince(), "bob's receipt",
                b -> receipt(b, s.room(), message, "m.read", s.bob().userId()) != null);
        assertThat(receipt(aliceSees, s.room(), message, "m.read", s.bob().userId())).containsOnlyKeys("ts", "thread_id")
                .containsEntry("thread_id", "main");
        assertThat(aliceSees.toString()).doesNotContain("m.read.private");
        assertThat(servers.get(0).bean(JdbcTemplate.class).queryForObject("select count(*) from receipts "
                + "where receipt_type <> 'm.read'", Long.class)).isZero();

        String reply = hs2.sendMessage(s.bob(), s.room(), "read me too").expect(200).string("event_id");
        until(hs1, s.alice(), next(aliceSees), "bob's message", b -> b.toString().contains(reply));
        postReceipt(hs1, s.alice(), s.room(), "m.read", reply, Map.of()).expect(200);
        Map<String, Object> bobSees = until(hs2, s.bob(), s.bobSince(), "alice's receipt",
                b -> receipt(b, s.room(), reply, "m.read", s.alice().userId()) != null);
        assertThat(receipt(bobSees, s.room(), reply, "m.read", s.alice().userId())).containsOnlyKeys("ts");
    }

    private static void hs2Eventually(Shared s, String eventId) {
        until(hs2, s.bob(), s.bobSince(), "the message", b -> b.toString().contains(eventId));
    }

    @Test
    void presenceReachesTheOtherServerBothWays() {
        Shared s = shared();
        setPresence(hs1, s.alice(), "unavailable", "on a call").expect(200);
        Map<String, Object> bobSees = until(hs2, s.bob(), s.bobSince(), "alice's presence",
                b -> presence(b, s.alice().userId()) != null
                        && "unavailable".equals(presence(b, s.alice().userId()).get("presence")));
        assertThat(presence(bobSees, s.alice().userId())).containsEntry("status_msg", "on a call")
                .containsKey("last_active_ago");
        // hs2 answers GET for her from what hs1 pushed.
        Map<String, Object> got = hs2.get("/_matrix/client/v3/presence/" + MatrixClient.encode(s.alice().userId())
                + "/status", s.bob().accessToken()).expect(200).body();
        assertThat(got).containsEntry("presence", "unavailable").containsEntry("status_msg", "on a call");

        setPresence(hs2, s.bob(), "online", "back").expect(200);
        Map<String, Object> aliceSees = until(hs1, s.alice(), s.aliceSince(), "bob's presence",
                b -> presence(b, s.bob().userId()) != null && "back".equals(presence(b, s.bob().userId()).get("status_msg")));
        assertThat(presence(aliceSees, s.bob().userId())).containsEntry("presence", "online")
                .containsEntry("currently_active", true);
    }

    /**
     * What hs1 takes from EDUs that hs2 sends: only what concerns hs2's own users, in rooms where
     * hs2 has a joined member (and hs1 too); the rest of the same transaction is ignored one by one.
     */
    @Test
    void aServerOnlySpeaksForItsOwnUsersInRoomsItIsIn() {
        Shared s = shared();
        User carol = hs1.register(unique("carol"));
        String hs1Only = hs1.createRoom(carol, Map.of("preset", "public_chat"));
        String message = hs1.sendMessage(s.alice(), s.room(), "for receipts").expect(200).string("event_id");
        String carolsMessage = hs1.sendMessage(carol, hs1Only, "hs2 is not here").expect(200).string("event_id");
        String stranger = "@stranger:" + hs2Name;
        FederationDriver hs2Driver = new FederationDriver(servers.get(1));

        List<Object> edus = new ArrayList<>();
        // Not hs2's users.
        edus.add(edu("m.typing", Map.of("room_id", s.room(), "user_id", s.alice().userId(), "typing", true)));
        edus.add(edu("m.receipt", Map.of(s.room(), Map.of("m.read", Map.of(s.alice().userId(),
                Map.of("event_ids", List.of(message), "data", Map.of("ts", 1L)))))));
        edus.add(edu("m.presence", Map.of("push", List.of(Map.of("user_id", carol.userId(), "presence", "online",
                "last_active_ago", 0L)))));
        // hs2's user who is not in the room / shares no room with hs1's users.
        edus.add(edu("m.typing", Map.of("room_id", s.room(), "user_id", stranger, "typing", true)));
        edus.add(edu("m.presence", Map.of("push", List.of(Map.of("user_id", stranger, "presence", "online",
                "last_active_ago", 0L)))));
        // A room hs2 is not in.
        edus.add(edu("m.receipt", Map.of(hs1Only, Map.of("m.read", Map.of(s.bob().userId(),
                Map.of("event_ids", List.of(carolsMessage), "data", Map.of("ts", 1L)))))));
        // Private receipts never travel.
        edus.add(edu("m.receipt", Map.of(s.room(), Map.of("m.read.private", Map.of(s.bob().userId(),
                Map.of("event_ids", List.of(message), "data", Map.of("ts", 1L)))))));
        // Malformed ones.
        edus.add(edu("m.typing", Map.of("room_id", s.room(), "user_id", s.bob().userId(), "typing", "yes")));
        edus.add(Map.of("edu_type", "m.presence", "content", "not an object"));
        edus.add(edu("m.device_list_update", Map.of("user_id", s.bob().userId())));
        // And one that is fine: Bob typing.
        edus.add(edu("m.typing", Map.of("room_id", s.room(), "user_id", s.bob().userId(), "typing", true)));

        Map<String, Object> txn = new LinkedHashMap<>();
        txn.put("origin", hs2Name);
        txn.put("origin_server_ts", System.currentTimeMillis());
        txn.put("pdus", List.of());
        txn.put("edus", edus);
        FederationDriver.Answer answer = hs2Driver.put(hs1Name, "/_matrix/federation/v1/send/" + unique("edus"), txn);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(Map.of("pdus", Map.of()));

        Map<String, Object> aliceSees = until(hs1, s.alice(), s.aliceSince(), "bob typing",
                b -> typing(b, s.room()) != null);
        assertThat(typing(aliceSees, s.room())).containsExactly(s.bob().userId());
        assertThat(EphemeralSync.ephemeral(aliceSees, s.room(), "m.receipt")).isEmpty();
        assertThat(presence(aliceSees, carol.userId())).isNull();
        JdbcTemplate jdbc = servers.get(0).bean(JdbcTemplate.class);
        assertThat(jdbc.queryForObject("select count(*) from receipts where room_id in (?, ?)", Long.class, s.room(),
                hs1Only)).isZero();
        assertThat(jdbc.queryForObject("select count(*) from presence where user_id in (?, ?)", Long.class, stranger,
                carol.userId())).isZero();
        assertThat(jdbc.queryForObject("select count(*) from typing where user_id in (?, ?)", Long.class, stranger,
                s.alice().userId())).isZero();

        // More than 100 EDUs in one transaction is refused whole (spec: at most 100).
        Map<String, Object> tooMany = new LinkedHashMap<>(txn);
        tooMany.put("edus", Collections.nCopies(101, edus.get(edus.size() - 1)));
        FederationDriver.Answer refused = hs2Driver.put(hs1Name, "/_matrix/federation/v1/send/" + unique("many"), tooMany);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.errcode()).isEqualTo("M_BAD_JSON");
    }

    private static Map<String, Object> edu(String type, Map<String, Object> content) {
        return Map.of("edu_type", type, "content", content);
    }

    @Test
    void anIncrementalSyncOnTheOtherServerReportsEachKindOnce() {
        Shared s = shared();
        String message = hs1.sendMessage(s.alice(), s.room(), "all three").expect(200).string("event_id");
        hs2Eventually(s, message);
        Map<String, Object> base = until(hs2, s.bob(), s.bobSince(), "the message", b -> true);
        String since = next(base);

        type(hs1, s.alice(), s.room(), true).expect(200);
        postReceipt(hs1, s.alice(), s.room(), "m.read", message, Map.of()).expect(200);
        setPresence(hs1, s.alice(), "online", "all three").expect(200);

        // Incremental syncs from one token until all three have come, each exactly as sent.
        List<Map<String, Object>> seen = new ArrayList<>();
        String token = since;
        boolean typed = false;
        boolean read = false;
        boolean present = false;
        long deadline = System.currentTimeMillis() + 20_000;
        while (!(typed && read && present) && System.currentTimeMillis() < deadline) {
            Map<String, Object> b = EphemeralSync.raw(hs2, s.bob(), token, 1000, null).expect(200).body();
            seen.add(b);
            typed |= typing(b, s.room()) != null && typing(b, s.room()).contains(s.alice().userId());
            read |= receipt(b, s.room(), message, "m.read", s.alice().userId()) != null;
            present |= presence(b, s.alice().userId()) != null
                    && "all three".equals(presence(b, s.alice().userId()).get("status_msg"));
            token = next(b);
        }
        assertThat(typed && read && present).as("typing, receipt and presence in %s", seen).isTrue();
        // Nothing new after that: the next incremental sync reports none of them again.
        Map<String, Object> after = sync(hs2, s.bob(), token);
        assertThat(EphemeralSync.ephemeral(after, s.room())).isEmpty();
        assertThat(presence(after, s.alice().userId())).isNull();
    }
}
