package org.vestibule.federation.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;

import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.XMatrix;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.NewRoom;
import org.vestibule.room.RoomCreator;
import org.vestibule.room.ServerAcls;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MutableClock;
import org.vestibule.support.VestibuleIntegrationTest;

/**
 * The durable outbound queue against a real HTTPS peer that fails first: PDUs go out in order,
 * in transactions of at most 50, are retried with backoff after a failure, are deleted once
 * acknowledged, and queued rows left from before a restart are sent when the queue resumes. EDUs
 * ride along, at most 100 a transaction; reliable ones outlive a failure, stale best-effort ones
 * are dropped, and a newer EDU of the same key replaces one not yet sent.
 */
@VestibuleIntegrationTest
class TransactionQueueIntegrationTests {

    @Autowired TransactionQueue queue;
    @Autowired RoomCreator creator;
    @Autowired LocalEvents localEvents;
    @Autowired ServerKeyring keyring;
    @Autowired JdbcTemplate jdbc;
    @Autowired EventGraph graph;
    @Autowired TransactionSender sender;
    @Autowired MeterRegistry meters;
    @Autowired ServerAcls acls;
    @Autowired TransactionTemplate tx;
    @LocalServerPort int port;
    @Autowired RestartAnnouncement announcement;

    FakeFederationServer peer = FakeFederationServer.start();

    @AfterEach
    void close() {
        peer.close();
    }

    @Test
    void sendsInOrderInBatchesRetriesAfterFailureAndResumesQueuedRows() {
        String user = "@queue:" + keyring.serverName();
        String room = publicRoom(user);
        List<String> eventIds = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            eventIds.add(localEvents.send(room, user, "m.room.message", null, Map.of("body", "m" + i)).eventId());
        }
        AtomicInteger calls = new AtomicInteger();
        List<List<String>> received = new CopyOnWriteArrayList<>();
        peer.onPrefix("/_matrix/federation/v1/send/", r -> {
            if (calls.incrementAndGet() == 1) {
                return Reply.raw(502, "text/plain", "not yet");
            }
            Map<String, Object> txn = StrictJsonParser.parseObject(r.body(), StrictJsonParser.Limits.REQUEST);
            List<String> ids = new ArrayList<>();
            for (Object p : Json.list(txn, "pdus")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> pdu = (Map<String, Object>) p;
                ids.add(Pdu.fromJson(pdu, RoomVersions.V10).eventId());
            }
            assertThat(txn).containsEntry("origin", keyring.serverName());
            received.add(ids);
            return Reply.json(200, Map.of("pdus", Map.of()));
        });

        // Rows as a previous run of the server would have left them: queued, never sent.
        String destination = peer.serverName();
        long now = System.currentTimeMillis();
        for (String id : eventIds) {
            jdbc.update("insert into federation_outbound_pdus (destination, event_id, room_id, queued_ts) values (?, ?, ?, ?)",
                    destination, id, room, now);
        }
        jdbc.update("insert into federation_destinations (destination) values (?) on conflict do nothing", destination);
        queue.resume();

        until("the queue to drain", () -> pendingFor(destination) == 0);
        assertThat(calls.get()).isEqualTo(4); // one failure, then 50 + 50 + 20
        assertThat(received).extracting(List::size).containsExactly(50, 50, 20);
        List<String> inOrder = received.stream().flatMap(List::stream).toList();
        assertThat(inOrder).isEqualTo(eventIds);
        Map<String, Object> state = jdbc.queryForMap("select failures, backoff_ms, last_error from federation_destinations "
                + "where destination = ?", destination);
        assertThat(state).containsEntry("failures", 0).containsEntry("backoff_ms", 0L);
        assertThat(state.get("last_error")).isNull();
    }

    /**
     * Synapse answers a repeated (origin, txnId) from its cache without reading the PDUs. A server
     * restarted on a wiped database (its queue's IDs start again at 1) must still be heard.
     */
    @Test
    void transactionIdsDoNotRepeatAfterARestartOnAWipedDatabase() {
        String user = "@wiped:" + keyring.serverName();
        String room = publicRoom(user);
        Set<String> seenTxnIds = ConcurrentHashMap.newKeySet();
        List<String> processed = new CopyOnWriteArrayList<>();
        peer.onPrefix("/_matrix/federation/v1/send/", r -> {
            String txnId = r.path().substring("/_matrix/federation/v1/send/".length());
            if (seenTxnIds.add(txnId)) {
                for (Object p : Json.list(StrictJsonParser.parseObject(r.body(), StrictJsonParser.Limits.REQUEST), "pdus")) {
                    processed.add(String.valueOf(((Map<?, ?>) p).get("content")));
                }
            }
            return Reply.json(200, Map.of("pdus", Map.of()));
        });
        String destination = peer.serverName();

        queueOne(room, user, destination, "before the wipe");
        queue.resume();
        until("the first transaction", () -> pendingFor(destination) == 0);

        // What a new database looks like to the queue: nothing queued, the row IDs starting at 1 again.
        jdbc.update("delete from federation_outbound_pdus");
        jdbc.update("delete from federation_destinations");
        jdbc.execute("alter sequence federation_outbound_pdus_id_seq restart");
        MutableClock later = MutableClock.now();
        later.advance(Duration.ofSeconds(5));
        TransactionQueue restarted = new TransactionQueue(jdbc, graph, keyring, sender, meters, later, acls);
        try {
            queueOne(room, user, destination, "after the wipe");
            restarted.resume();
            until("the transaction after the wipe", () -> pendingFor(destination) == 0);
        } finally {
            restarted.stop();
        }
        assertThat(seenTxnIds).hasSize(2);
        assertThat(processed).hasSize(2);
        assertThat(processed.get(1)).contains("after the wipe");
    }

    @Test
    void edusRideWithPdusAtMostAHundredATransactionAndReliableOnesOutliveAFailure() {
        String user = "@edus:" + keyring.serverName();
        String room = publicRoom(user);
        AtomicInteger calls = new AtomicInteger();
        List<Map<String, Object>> received = new CopyOnWriteArrayList<>();
        Set<String> txnIds = ConcurrentHashMap.newKeySet();
        peer.onPrefix("/_matrix/federation/v1/send/", r -> {
            if (calls.incrementAndGet() == 1) {
                return Reply.raw(502, "text/plain", "not yet");
            }
            txnIds.add(r.path().substring("/_matrix/federation/v1/send/".length()));
            received.add(StrictJsonParser.parseObject(r.body(), StrictJsonParser.Limits.REQUEST));
            return Reply.json(200, Map.of("pdus", Map.of()));
        });
        String destination = peer.serverName();
        String eventId = localEvents.send(room, user, "m.room.message", null, Map.of("body", "with edus")).eventId();
        // All in one transaction: nothing is sent before it commits.
        tx.executeWithoutResult(status -> {
            jdbc.update("insert into federation_outbound_pdus (destination, event_id, room_id, queued_ts) "
                    + "values (?, ?, ?, ?)", destination, eventId, room, System.currentTimeMillis());
            for (int i = 0; i < 150; i++) {
                queue.queueEdu(List.of(destination), OutboundEdu.reliable("m.receipt", "receipt " + i,
                        Map.of("n", (long) i)));
            }
            // Worth sending for half a second: stale once the failed destination is tried again (2 s backoff).
            queue.queueEdu(List.of(destination), OutboundEdu.bestEffort("m.typing", "typing", Map.of("typing", true),
                    Duration.ofMillis(500)));
            // The same key twice before anything is sent: only the newer goes; our own server is never a destination.
            queue.queueEdu(List.of(destination, keyring.serverName()), OutboundEdu.bestEffort("m.presence", "presence",
                    Map.of("presence", "online"), Duration.ofMinutes(5)));
            queue.queueEdu(List.of(destination), OutboundEdu.bestEffort("m.presence", "presence",
                    Map.of("presence", "unavailable"), Duration.ofMinutes(5)));
        });
        queue.resume();

        until("the PDU and every EDU delivered", () -> pendingFor(destination) == 0 && edusFor(destination) == 0);
        assertThat(received).hasSize(2);
        assertThat(txnIds).hasSize(2);
        assertThat(Json.list(received.get(0), "pdus")).hasSize(1);
        assertThat(Json.list(received.get(1), "pdus")).isEmpty();
        assertThat(Json.list(received.get(0), "edus")).hasSize(100);
        assertThat(Json.list(received.get(1), "edus")).hasSize(51);
        List<Map<String, Object>> edus = received.stream().flatMap(t -> Json.list(t, "edus").stream())
                .map(e -> Json.object(Map.of("e", e), "e")).toList();
        assertThat(edus).filteredOn(e -> "m.receipt".equals(e.get("edu_type"))).hasSize(150)
                .extracting(e -> Json.object(e, "content").get("n")).doesNotHaveDuplicates();
        assertThat(edus).filteredOn(e -> "m.typing".equals(e.get("edu_type"))).isEmpty();
        assertThat(edus).filteredOn(e -> "m.presence".equals(e.get("edu_type")))
                .containsExactly(Map.of("edu_type", "m.presence", "content", Map.of("presence", "unavailable")));
        assertThat(jdbc.queryForObject("select count(*) from federation_destinations where destination = ?", Long.class,
                keyring.serverName())).isZero();
    }

    /**
     * A peer we back off from (an hour, after it was down for one) that sends us an authenticated
     * request is up again: its queue is sent at once, not at the end of the backoff, as Synapse does.
     */
    @Test
    void aPeerWeBackOffFromThatSendsUsASignedRequestIsRetriedAtOnce() throws Exception {
        String user = "@backoff:" + keyring.serverName();
        String room = publicRoom(user);
        peer.servingKeys().onPrefix("/_matrix/federation/v1/send/", r -> Reply.json(200, Map.of("pdus", Map.of())));
        String destination = peer.serverName();
        queueOne(room, user, destination, "sent while the peer was down");
        long failed = System.currentTimeMillis() - 60_000;
        jdbc.update("update federation_destinations set retry_at_ts = ?, backoff_ms = ?, failures = 7 where destination = ?",
                failed + 3_600_000, 3_600_000, destination);
        queue.resume();
        assertThat(pendingFor(destination)).as("backing off for the hour").isEqualTo(1);

        String target = "/_matrix/federation/v1/query/directory?room_alias=%23nothing%3A" + keyring.serverName();
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + target))
                .header("Authorization", XMatrix.sign(peer.signingKey(), "GET", target, destination,
                        keyring.serverName(), null)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(404);

        until("the queue sent once the peer talked to us", () -> pendingFor(destination) == 0);
        assertThat(peer.requests()).anyMatch(r -> r.path().startsWith("/_matrix/federation/v1/send/"));
    }

    /** A peer that reaches us while we cannot reach it is not retried sooner than the shortest backoff. */
    @Test
    void aPeerThatTalksToUsRightAfterAFailureWaitsTheShortestBackoff() {
        String user = "@floor:" + keyring.serverName();
        String room = publicRoom(user);
        peer.onPrefix("/_matrix/federation/v1/send/", r -> Reply.json(200, Map.of("pdus", Map.of())));
        String destination = peer.serverName();
        queueOne(room, user, destination, "held by the backoff");
        MutableClock clock = MutableClock.now();
        jdbc.update("update federation_destinations set retry_at_ts = ?, backoff_ms = ? where destination = ?",
                clock.millis() + 3_600_000, 3_600_000, destination);
        TransactionQueue other = new TransactionQueue(jdbc, graph, keyring, sender, meters, clock, acls);
        try {
            other.resume();
            other.peerIsUp(destination);
            assertThat(retryAt(destination)).as("the failure was just now").isPositive();

            clock.advance(Duration.ofMillis(TransactionQueue.MIN_BACKOFF_MS));
            other.peerIsUp("elsewhere.invalid");
            assertThat(retryAt(destination)).as("another peer says nothing of this one").isPositive();
            other.peerIsUp(destination);
            assertThat(retryAt(destination)).isZero();
            until("the queue sent", () -> pendingFor(destination) == 0);
        } finally {
            other.stop();
        }
    }

    /**
     * Started again, the server sends an empty transaction to each server it shares a joined room
     * with (they may back off from us after our downtime, holding their users' events), and none
     * to a server whose users have left.
     */
    @Test
    void aStartTellsTheServersWeShareRoomsWithThatWeAreBack() {
        String user = "@restart:" + keyring.serverName();
        String room = publicRoom(user);
        String create = jdbc.queryForObject("select event_id from events where room_id = ? and type = 'm.room.create'",
                String.class, room);
        List<Map<String, Object>> received = new CopyOnWriteArrayList<>();
        peer.onPrefix("/_matrix/federation/v1/send/", r -> {
            received.add(StrictJsonParser.parseObject(r.body(), StrictJsonParser.Limits.REQUEST));
            return Reply.json(200, Map.of("pdus", Map.of()));
        });
        String left = "left.vestibule.invalid";
        for (Object[] member : new Object[][] {{"@here:" + peer.serverName(), peer.serverName(), "join"},
                {"@left:" + left, left, "leave"}}) {
            jdbc.update("insert into room_memberships (room_id, user_id, server_name, membership, event_id, sender) "
                    + "values (?, ?, ?, ?, ?, ?)", room, member[0], member[1], member[2], create, member[0]);
        }

        // Other test classes sharing this context may have left servers of their own in rooms.
        assertThat(announcement.sharingServers()).contains(peer.serverName())
                .doesNotContain(left, keyring.serverName());
        announcement.announce();

        until("the empty transaction", () -> !received.isEmpty());
        assertThat(received.get(0)).containsEntry("origin", keyring.serverName())
                .containsEntry("pdus", List.of()).containsEntry("edus", List.of());
        assertThat(peer.requests()).filteredOn(r -> r.path().startsWith("/_matrix/federation/v1/send/start-"))
                .hasSize(1);
    }

    /**
     * A server killed while it sent keeps its destination's lease: taken over at once when none of
     * the owner's sessions is left in pg_stat_activity, not before it expires while one is.
     */
    @Test
    void aLeaseOfAStoppedServerIsTakenOverAtOnceAndOneOfARunningServerIsNot() throws Exception {
        assertThat(jdbc.queryForObject("select current_setting('application_name')", String.class))
                .as("each process names its connections").startsWith(TransactionQueue.OWNED_NAME);
        String user = "@lease:" + keyring.serverName();
        String room = publicRoom(user);
        String destination = peer.serverName();
        queueOne(room, user, destination, "held by a lease");
        long now = System.currentTimeMillis();
        try (Connection running = jdbc.getDataSource().getConnection(); Statement statement = running.createStatement()) {
            statement.execute("set application_name = 'vestibule-running'");
            for (String owner : List.of("vestibule-running/1", "unnamed/2")) {
                jdbc.update("update federation_destinations set lease_owner = ?, lease_until = ? where destination = ?",
                        owner, now + 120_000, destination);
                assertThat(queue.claim(destination, now)).as("the lease of %s holds", owner).isFalse();
            }
            statement.execute("reset application_name");
        }

        peer.onPrefix("/_matrix/federation/v1/send/", r -> Reply.json(200, Map.of("pdus", Map.of())));
        jdbc.update("update federation_destinations set lease_owner = ?, lease_until = ? where destination = ?",
                "vestibule-stopped/3", now + 120_000, destination);
        queue.resume();
        until("the queue sent despite the stopped server's lease", () -> pendingFor(destination) == 0);
    }

    private String publicRoom(String creator) {
        return this.creator.create(new NewRoom(creator, RoomVersions.V10, "public_chat", Map.of(), List.of(), Map.of(),
                null, null, null, List.of(), false));
    }

    private long retryAt(String destination) {
        return jdbc.queryForObject("select retry_at_ts from federation_destinations where destination = ?", Long.class,
                destination);
    }

    private long edusFor(String destination) {
        return jdbc.queryForObject("select (select count(*) from federation_outbound_edus where destination = ?) "
                + "+ (select count(*) from federation_outbound_ephemeral_edus where destination = ?)", Long.class,
                destination, destination);
    }

    private void queueOne(String room, String user, String destination, String body) {
        String eventId = localEvents.send(room, user, "m.room.message", null, Map.of("body", body)).eventId();
        jdbc.update("insert into federation_outbound_pdus (destination, event_id, room_id, queued_ts) values (?, ?, ?, ?)",
                destination, eventId, room, System.currentTimeMillis());
        jdbc.update("insert into federation_destinations (destination) values (?) on conflict do nothing", destination);
    }

    private long pendingFor(String destination) {
        return jdbc.queryForObject("select count(*) from federation_outbound_pdus where destination = ?", Long.class,
                destination);
    }

}
