package org.vestibule.clientapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.support.FederationDriver;
import org.vestibule.support.FederationDriver.Answer;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestNames;

/** A PDU the auth rules reject is stored, as the spec asks, but no client sees it. */
class RejectedEventsIntegrationTests {

    static TestHomeservers servers;
    static MatrixClient hs0;
    static User alice;
    static User bob;
    static String room;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(2);
        hs0 = new MatrixClient(servers.get(0).clientBaseUrl());
        MatrixClient hs1 = new MatrixClient(servers.get(1).clientBaseUrl());
        alice = hs0.register("alice");
        bob = hs1.register("bob");
        room = hs0.createRoom(alice, Map.of("preset", "public_chat"));
        hs1.join(bob, room, servers.get(0).serverName()).expect(200);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    @DisplayName("GET /event and /context give 404 for a rejected event, as for one never stored, and 200 for its accepted sibling")
    void aRejectedEventIsNotServedToClients() {
        FederationDriver bobsServer = new FederationDriver(servers.get(1));
        Pdu message = servers.get(1).bean(LocalEvents.class).build(room, bob.userId(), "m.room.message", null,
                Map.of("msgtype", "m.text", "body", "accepted"));
        // The same place in the room, made a power levels event: bob, at level 0, may not send one.
        Map<String, Object> template = new LinkedHashMap<>(message.json());
        template.keySet().removeAll(List.of("event_id", "hashes", "signatures", "unsigned"));
        Pdu powerGrab = bobsServer.sign(template, message.roomVersion().id(), e -> {
            e.put("type", "m.room.power_levels");
            e.put("state_key", "");
            e.put("content", Map.of("users", Map.of(bob.userId(), 100)));
        });
        Answer answer = bobsServer.put(servers.get(0).serverName(), "/_matrix/federation/v1/send/" + TestNames.unique("rj"),
                Map.of("origin", servers.get(1).serverName(), "origin_server_ts", System.currentTimeMillis(),
                        "pdus", List.of(powerGrab.json(), message.json())));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(Json.object(Json.object(answer.body(), "pdus"), powerGrab.eventId()).get("error")).asString()
                .contains("rejected by the auth rules");
        EventGraph graph = servers.get(0).bean(EventGraph.class);
        until("the power grab stored as rejected", () -> graph.event(powerGrab.eventId()).isPresent()
                && graph.isRejected(powerGrab.eventId()));

        for (String path : List.of("/event/", "/context/")) {
            MatrixClient.Response rejected = hs0.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + path
                    + MatrixClient.encode(powerGrab.eventId()), alice.accessToken());
            assertThat(rejected.status()).as(path).isEqualTo(404);
            assertThat(rejected.errcode()).as(path).isEqualTo("M_NOT_FOUND");
            MatrixClient.Response accepted = hs0.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(room) + path
                    + MatrixClient.encode(message.eventId()), alice.accessToken());
            assertThat(accepted.status()).as(path + " " + accepted.raw()).isEqualTo(200);
        }
    }
}
