package org.vestibule.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.TransactionQueue;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestNames;

/**
 * Server ACLs on every federation path (spec server-server §Server Access Control Lists): hs0
 * ({@code localhost:<port>}) is the resident, hs1 ({@code localhost:<port>}) is allowed, hs2
 * ({@code 127.0.0.1:<port>}, an IP literal) is denied by {@code allow_ip_literals: false} after it
 * joined. Names differ only by host, so globs and ports are shown on the host part.
 */
class ServerAclIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs0;
    static MatrixClient hs1;
    static MatrixClient hs2;
    static User alice;
    static User bob;
    static User carol;
    static String resident;
    /** Public, with the ACL {allow: [*], allow_ip_literals: false}; bob and carol joined before it was set. */
    static String room;
    /** Public, no ACL; carol joined. */
    static String open;
    static String aclEventId;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(3, i -> i == 2 ? "127.0.0.1" : "localhost", i -> new String[0]);
        hs0 = new MatrixClient(servers.get(0).clientBaseUrl());
        hs1 = new MatrixClient(servers.get(1).clientBaseUrl());
        hs2 = new MatrixClient(servers.get(2).clientBaseUrl());
        resident = servers.get(0).serverName();
        alice = hs0.register("alice");
        bob = hs1.register("bob");
        carol = hs2.register("carol");
        room = hs0.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10"));
        open = hs0.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10"));
        hs1.join(bob, room, resident).expect(200);
        hs2.join(carol, room, resident).expect(200);
        hs2.join(carol, open, resident).expect(200);
        aclEventId = hs0.sendState(alice, room, "m.room.server_acl", "", Map.of("allow", List.of("*"),
                "allow_ip_literals", false)).expect(200).string("event_id");
        // hs1 is allowed, so it hears of the ACL; its own PDUs below are built on it.
        until("hs1 holding the ACL", () -> hs1.getState(bob, room, "m.room.server_acl", "").status() == 200);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static FederationDriver denied() {
        return new FederationDriver(servers.get(2));
    }

    static FederationDriver allowed() {
        return new FederationDriver(servers.get(1));
    }

    static String seg(String s) {
        return FederationClient.pathSegment(s);
    }

    static void assertAclRefusal(String endpoint, Answer answer) {
        assertThat(answer.status()).as(endpoint + ": " + answer.json()).isEqualTo(403);
        assertThat(answer.errcode()).as(endpoint).isEqualTo("M_FORBIDDEN");
        assertThat(answer.error()).as(endpoint).contains("server ACL (m.room.server_acl) of room " + room)
                .contains("denies server " + servers.get(2).serverName()).contains("allow_ip_literals is false");
    }

    @Test
    @DisplayName("a denied server gets 403 naming the ACL at make_join and send_join, checked before the body is read")
    void joinsRefused() {
        FederationDriver driver = denied();
        assertAclRefusal("make_join", driver.makeJoin(resident, room, driver.userId("dave")));
        // An empty body would be 400 M_BAD_JSON; the ACL answers first.
        assertAclRefusal("send_join v2", driver.sendJoin(resident, room, "$x", Map.of(), 2, null));
        assertAclRefusal("send_join v1", driver.sendJoin(resident, room, "$x", Map.of(), 1, null));
        // The allowed server's make_join goes on (port or not, hs1 is "localhost").
        FederationDriver ok = allowed();
        assertThat(ok.makeJoin(resident, room, ok.userId("erin")).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("and at every other endpoint that names the room: leaves, knocks, invites, and the read endpoints")
    void everyRoomEndpointRefused() {
        FederationDriver driver = denied();
        String r = seg(room);
        String e = seg(aclEventId);
        String carolId = seg(carol.userId());
        assertAclRefusal("make_leave", driver.makeLeave(resident, room, carol.userId()));
        assertAclRefusal("send_leave v2", driver.put(resident, "/_matrix/federation/v2/send_leave/" + r + "/$x", Map.of()));
        assertAclRefusal("send_leave v1", driver.put(resident, "/_matrix/federation/v1/send_leave/" + r + "/$x", Map.of()));
        assertAclRefusal("make_knock", driver.get(resident, "/_matrix/federation/v1/make_knock/" + r + "/" + carolId + "?ver=10"));
        assertAclRefusal("send_knock", driver.put(resident, "/_matrix/federation/v1/send_knock/" + r + "/$x", Map.of()));
        assertAclRefusal("invite v2", driver.put(resident, "/_matrix/federation/v2/invite/" + r + "/$x", Map.of()));
        assertAclRefusal("invite v1", driver.put(resident, "/_matrix/federation/v1/invite/" + r + "/$x", Map.of()));
        assertAclRefusal("state", driver.get(resident, "/_matrix/federation/v1/state/" + r + "?event_id=" + e));
        assertAclRefusal("state_ids", driver.get(resident, "/_matrix/federation/v1/state_ids/" + r + "?event_id=" + e));
        assertAclRefusal("event_auth", driver.get(resident, "/_matrix/federation/v1/event_auth/" + r + "/" + e));
        assertAclRefusal("backfill", driver.get(resident, "/_matrix/federation/v1/backfill/" + r + "?v=" + e + "&limit=5"));
        assertAclRefusal("get_missing_events", driver.post(resident, "/_matrix/federation/v1/get_missing_events/" + r,
                Map.of("earliest_events", List.of(), "latest_events", List.of(aclEventId), "limit", 5)));
        assertAclRefusal("event", driver.get(resident, "/_matrix/federation/v1/event/" + e));

        // The same server still reads a room without an ACL; the allowed one reads this room.
        String openCreate = servers.get(0).bean(EventGraph.class).forwardExtremities(open).get(0);
        assertThat(driver.get(resident, "/_matrix/federation/v1/event/" + seg(openCreate)).status()).isEqualTo(200);
        FederationDriver ok = allowed();
        assertThat(ok.get(resident, "/_matrix/federation/v1/state_ids/" + r + "?event_id=" + e).status()).isEqualTo(200);
        assertThat(ok.get(resident, "/_matrix/federation/v1/event/" + e).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("/send: the denied server's PDU for the room is refused, saying why, while its other room's PDU and "
            + "the allowed server's PDU for the room are accepted")
    void sendRefusesPerPdu() {
        LocalEvents carolsServer = servers.get(2).bean(LocalEvents.class);
        Pdu inAclRoom = carolsServer.build(room, carol.userId(), "m.room.message", null, Map.of("msgtype", "m.text",
                "body", "from a denied server"));
        Pdu inOpenRoom = carolsServer.build(open, carol.userId(), "m.room.message", null, Map.of("msgtype", "m.text",
                "body", "from a denied server, elsewhere"));
        Answer answer = denied().put(resident, "/_matrix/federation/v1/send/" + TestNames.unique("acl"),
                transaction(servers.get(2).serverName(), inAclRoom, inOpenRoom));
        assertThat(answer.status()).isEqualTo(200);
        Map<String, Object> results = Json.object(answer.body(), "pdus");
        assertThat(Json.object(results, inAclRoom.eventId()).get("error")).asString()
                .contains("server ACL (m.room.server_acl) of room " + room).contains("allow_ip_literals is false");
        assertThat(results.get(inOpenRoom.eventId())).isEqualTo(Map.of());
        EventGraph graph = servers.get(0).bean(EventGraph.class);
        assertThat(graph.event(inAclRoom.eventId())).isEmpty();
        assertThat(graph.event(inOpenRoom.eventId())).isPresent();

        Pdu fromBob = servers.get(1).bean(LocalEvents.class).build(room, bob.userId(), "m.room.message", null,
                Map.of("msgtype", "m.text", "body", "from an allowed server"));
        Answer accepted = allowed().put(resident, "/_matrix/federation/v1/send/" + TestNames.unique("acl"),
                transaction(servers.get(1).serverName(), fromBob));
        assertThat(Json.object(accepted.body(), "pdus").get(fromBob.eventId())).isEqualTo(Map.of());
        assertThat(graph.event(fromBob.eventId())).isPresent();
    }

    static Map<String, Object> transaction(String origin, Pdu... pdus) {
        Map<String, Object> txn = new LinkedHashMap<>();
        txn.put("origin", origin);
        txn.put("origin_server_ts", System.currentTimeMillis());
        txn.put("pdus", Arrays.stream(pdus).map(p -> (Object) p.json()).toList());
        txn.put("edus", List.of(Map.of("edu_type", "m.typing", "content", Map.of("room_id", room,
                "user_id", carol.userId(), "typing", true))));
        return txn;
    }

    @Test
    @DisplayName("the ACL itself goes to the server it denies, under the ACL it replaces, so that server knows")
    void theAclReachesTheServerItDenies() {
        until("hs2 holding the ACL that denies it", () -> servers.get(2).bean(EventGraph.class).event(aclEventId).isPresent());
        assertThat(servers.get(2).bean(EventGraph.class).stateBefore(aclEventId)).isPresent();
    }

    @Test
    @DisplayName("an ACL that allows a denied server again reaches it, under the ACL it replaces or its own")
    void anAclAllowingTheServerAgainReachesIt() {
        String again = hs0.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10"));
        hs2.join(carol, again, resident).expect(200);
        String denying = hs0.sendState(alice, again, "m.room.server_acl", "", Map.of("allow", List.of("*"),
                "allow_ip_literals", false)).expect(200).string("event_id");
        String allowing = hs0.sendState(alice, again, "m.room.server_acl", "", Map.of("allow", List.of("*"),
                "allow_ip_literals", true)).expect(200).string("event_id");
        EventGraph carolsGraph = servers.get(2).bean(EventGraph.class);
        until("hs2 holding both ACLs", () -> carolsGraph.event(denying).isPresent() && carolsGraph.event(allowing).isPresent());
        String message = hs0.sendMessage(alice, again, "for everyone again").expect(200).string("event_id");
        until("hs2 holding the message after them", () -> carolsGraph.event(message).isPresent());
        assertThat(carolsGraph.isRejected(allowing)).isFalse();
    }

    @Test
    @DisplayName("nothing of the room is queued to the denied server, while the allowed one gets it")
    void queuesNothingToTheDeniedServer() {
        JdbcTemplate jdbc = servers.get(0).bean(JdbcTemplate.class);
        String hs1Name = servers.get(1).serverName();
        String hs2Name = servers.get(2).serverName();
        // Hold both destinations back, so whatever is queued stays visible in the queue.
        for (String d : List.of(hs1Name, hs2Name)) {
            jdbc.update("insert into federation_destinations (destination) values (?) on conflict do nothing", d);
            jdbc.update("update federation_destinations set retry_at_ts = ? where destination = ?",
                    System.currentTimeMillis() + 3_600_000L, d);
        }
        try {
            String inAclRoom = hs0.sendMessage(alice, room, "not for 127.0.0.1").expect(200).string("event_id");
            String inOpenRoom = hs0.sendMessage(alice, open, "for everyone").expect(200).string("event_id");
            assertThat(queued(jdbc, hs1Name, inAclRoom)).isEqualTo(1);
            assertThat(queued(jdbc, hs2Name, inAclRoom)).isZero();
            assertThat(queued(jdbc, hs2Name, inOpenRoom)).isEqualTo(1);
            // Nor a kick of its user, though a member event otherwise goes to its target's server.
            hs0.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/kick", alice.accessToken(),
                    Map.of("user_id", carol.userId())).expect(200);
            assertThat(queuedOfRoom(jdbc, hs2Name, room)).isZero();
            assertThat(queuedOfRoom(jdbc, hs1Name, room)).isEqualTo(2);
        } finally {
            servers.get(0).bean(TransactionQueue.class).retryNow();
        }
        until("bob seeing alice's message", () -> hs1.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room)
                + "/messages?dir=b&limit=20", bob.accessToken()).raw().contains("not for 127.0.0.1"));
    }

    static int queued(JdbcTemplate jdbc, String destination, String eventId) {
        Integer n = jdbc.queryForObject("select count(*) from federation_outbound_pdus where destination = ? "
                + "and event_id = ?", Integer.class, destination, eventId);
        return n == null ? 0 : n;
    }

    static int queuedOfRoom(JdbcTemplate jdbc, String destination, String roomId) {
        Integer n = jdbc.queryForObject("select count(*) from federation_outbound_pdus where destination = ? "
                + "and room_id = ?", Integer.class, destination, roomId);
        return n == null ? 0 : n;
    }

    @Test
    @DisplayName("inviting a user of a denied server is refused before anything is sent to it")
    void noInviteToTheDeniedServer() {
        MatrixClient.Response r = hs0.post("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + "/invite",
                alice.accessToken(), Map.of("user_id", "@frank:" + servers.get(2).serverName()));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.errcode()).isEqualTo("M_FORBIDDEN");
        assertThat(r.error()).contains("Cannot invite @frank:").contains("server ACL (m.room.server_acl)");
    }

    @Test
    @DisplayName("globs, ports and malformed content at make_join: the name's host part decides")
    void globsPortsAndMalformedContent() {
        String hs2Port = servers.get(2).serverName().substring("127.0.0.1:".length());
        FederationDriver deniedDriver = denied();
        FederationDriver ok = allowed();

        String globDenied = roomWithAcl(Map.of("allow", List.of("*"), "deny", List.of("127.0.0.?")));
        Answer glob = deniedDriver.makeJoin(resident, globDenied, deniedDriver.userId("g"));
        assertThat(glob.status()).isEqualTo(403);
        assertThat(glob.error()).contains("matches its deny entry '127.0.0.?'");
        assertThat(ok.makeJoin(resident, globDenied, ok.userId("g")).status()).isEqualTo(200);

        // "localhost" allows localhost:<any port>; the IP literal matches no allow entry.
        String onlyLocalhost = roomWithAcl(Map.of("allow", List.of("LOCALHOST")));
        Answer none = deniedDriver.makeJoin(resident, onlyLocalhost, deniedDriver.userId("l"));
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.error()).contains("matches none of its allow entries [localhost]");
        assertThat(ok.makeJoin(resident, onlyLocalhost, ok.userId("l")).status()).isEqualTo(200);

        // A pattern with a port never matches: the name is compared without its port.
        String portPattern = roomWithAcl(Map.of("allow", List.of("*"), "deny", List.of("127.0.0.1:" + hs2Port)));
        assertThat(deniedDriver.makeJoin(resident, portPattern, deniedDriver.userId("p")).status()).isEqualTo(200);

        // Malformed: a non-string allow entry is skipped, a non-list deny is empty, a non-boolean flag is true.
        String malformed = roomWithAcl(Map.of("allow", List.of(5L, "*"), "deny", "127.0.0.1", "allow_ip_literals", "no"));
        assertThat(deniedDriver.makeJoin(resident, malformed, deniedDriver.userId("m")).status()).isEqualTo(200);
    }

    static String roomWithAcl(Map<String, Object> acl) {
        return hs0.createRoom(alice, Map.of("preset", "public_chat", "room_version", "10", "initial_state",
                List.of(Map.of("type", "m.room.server_acl", "state_key", "", "content", acl))));
    }

    @Test
    @DisplayName("an ACL that would deny this server itself is refused (as Synapse does)")
    void noAclAgainstOurselves() {
        MatrixClient.Response r = hs0.sendState(alice, open, "m.room.server_acl", "", Map.of("allow",
                List.of("example.org")));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(r.error()).contains("would deny this server, " + resident);
        MatrixClient.Response created = hs0.post("/_matrix/client/v3/createRoom", alice.accessToken(), Map.of(
                "initial_state", List.of(Map.of("type", "m.room.server_acl", "state_key", "",
                        "content", Map.of("allow", List.of("*"), "deny", List.of("localhost"))))));
        assertThat(created.status()).isEqualTo(400);
        assertThat(created.errcode()).isEqualTo("M_INVALID_PARAM");
        assertThat(created.error()).contains("matches its deny entry 'localhost'");
    }

    @Test
    @DisplayName("the admin join check reports an ACL refusal as such")
    void adminJoinCheck() {
        User admin = hs0.register("acl-admin");
        servers.get(0).bean(JdbcTemplate.class).update("update users set admin = true where user_id = ?", admin.userId());
        String path = "/_vestibule/admin/v1/rooms/" + MatrixClient.encode(room) + "/join-check/";
        MatrixClient.Response refused = hs0.get(path + MatrixClient.encode("@dave:" + servers.get(2).serverName()),
                admin.accessToken()).expect(200);
        assertThat(refused.body()).containsEntry("decision", "server_acl").containsEntry("status", 403L)
                .containsEntry("errcode", "M_FORBIDDEN");
        assertThat(refused.body().get("message")).asString().contains("allow_ip_literals is false");
        MatrixClient.Response fine = hs0.get(path + MatrixClient.encode("@dave:" + servers.get(1).serverName()),
                admin.accessToken()).expect(200);
        assertThat(fine.body()).containsEntry("decision", "allowed").containsEntry("status", 200L);
    }
}
