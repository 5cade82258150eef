package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.vestibuleUser;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.event.Json;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.TestHomeservers;

/**
 * History from the other server (issue 16): a user who joins a room on the other server pages back
 * through what was said before, both ways. Vestibule backfills from Synapse's /backfill; Synapse
 * from ours. History visibility holds on both.
 */
@DisplayName("History")
class HistoryInteropTests {

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

    /** Every page of a walk back through a room, with the tokens each came with. */
    record Walk(List<String> bodies, List<String> tokens, int pages, long firstPageMs) {}

    /** Pages back from the newest event until a page has no end, checking that the tokens chain. */
    static Walk pageBack(Member member, String roomId, int limit) {
        List<String> bodies = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        String from = null;
        long firstPageMs = -1;
        for (int page = 1; page <= 100; page++) {
            long started = System.nanoTime();
            MatrixClient.Response r = member.client().get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId)
                    + "/messages?dir=b&limit=" + limit + (from == null ? "" : "&from=" + MatrixClient.encode(from)),
                    member.user().accessToken());
            if (firstPageMs < 0) {
                firstPageMs = (System.nanoTime() - started) / 1_000_000;
            }
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            if (from != null) {
                assertThat(r.body().get("start")).as("page %d starts where the one before ended", page).isEqualTo(from);
            }
            for (Object o : Json.list(r.body(), "chunk")) {
                Map<?, ?> e = (Map<?, ?>) o;
                if ("m.room.message".equals(e.get("type")) && e.get("content") instanceof Map<?, ?> c
                        && c.get("body") instanceof String body) {
                    bodies.add(body);
                }
            }
            String end = (String) r.body().get("end");
            // Synapse may hand out an end with an empty chunk once; a page without events ends the walk too.
            if (end == null || Json.list(r.body(), "chunk").isEmpty()) {
                return new Walk(bodies, tokens, page, firstPageMs);
            }
            tokens.add(end);
            from = end;
        }
        throw new AssertionError("paging back through " + roomId + " did not end within 100 pages");
    }

    static List<String> sent(Member sender, String roomId, String prefix, int n) {
        List<String> bodies = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            sender.send(roomId, prefix + i);
            bodies.add(0, prefix + i);
        }
        return bodies; // newest first, as pages give them
    }

    private static void report(String what, Walk walk, int of) {
        System.out.println("HistoryInteropTests: " + what + ": " + walk.bodies().size() + " of " + of + " messages in "
                + walk.pages() + " pages, first page " + walk.firstPageMs() + " ms; tokens " + walk.tokens());
    }

    @Test
    @DisplayName("a Vestibule user who joins a Synapse room late pages back through its 30 messages, in order")
    void vestibulePagesBackThroughThirtyOfSynapses() {
        Member resident = synapseUser(synapse, "alice");
        String room = resident.createRoom(Map.of("preset", "public_chat"));
        List<String> expected = sent(resident, room, "s", 30);
        Member joiner = vestibuleUser(servers.get(0), "bob");
        joiner.joins(room, synapse.serverName());

        Walk walk = pageBack(joiner, room, 10);
        report("Vestibule paging back through Synapse's room", walk, 30);
        assertThat(walk.bodies()).isEqualTo(expected);
        assertThat(walk.pages()).isGreaterThanOrEqualTo(3);
    }

    @Test
    @DisplayName("a Vestibule user pages back through 300 messages of a Synapse room, in order")
    void vestibulePagesBackThroughThreeHundredOfSynapses() {
        Member resident = synapseUser(synapse, "alice");
        String room = resident.createRoom(Map.of("preset", "public_chat"));
        List<String> expected = sent(resident, room, "long", 300);
        Member joiner = vestibuleUser(servers.get(0), "bob");
        joiner.joins(room, synapse.serverName());

        Walk walk = pageBack(joiner, room, 50);
        report("Vestibule paging back through Synapse's long room", walk, 300);
        assertThat(walk.bodies()).isEqualTo(expected);
    }

    @Test
    @DisplayName("a Synapse user who joins a Vestibule room late pages back through its 30 messages, in order")
    void synapsePagesBackThroughThirtyOfVestibules() {
        Member resident = vestibuleUser(servers.get(0), "alice");
        String room = resident.createRoom(Map.of("preset", "public_chat"));
        List<String> expected = sent(resident, room, "v", 30);
        Member joiner = synapseUser(synapse, "bob");
        joiner.joins(room, servers.get(0).serverName());

        Walk walk = pageBack(joiner, room, 10);
        report("Synapse paging back through Vestibule's room", walk, 30);
        assertThat(walk.bodies()).isEqualTo(expected);
    }

    @Test
    @DisplayName("history visibility joined, both ways: what was said before the join stays hidden from the joiner")
    void joinedHistoryStaysHiddenBothWays() {
        Map<String, Object> joinedRoom = Map.of("preset", "public_chat", "initial_state", List.of(Map.of(
                "type", "m.room.history_visibility", "state_key", "", "content", Map.of("history_visibility", "joined"))));

        Member onSynapse = synapseUser(synapse, "alice");
        String synapseRoom = onSynapse.createRoom(joinedRoom);
        sent(onSynapse, synapseRoom, "before", 5);
        Member vestibuleJoiner = vestibuleUser(servers.get(0), "bob");
        vestibuleJoiner.joins(synapseRoom, synapse.serverName());
        List<String> after = sent(onSynapse, synapseRoom, "after", 3);
        vestibuleJoiner.seesMessage(synapseRoom, "after3");
        assertThat(pageBack(vestibuleJoiner, synapseRoom, 10).bodies()).isEqualTo(after);

        Member onVestibule = vestibuleUser(servers.get(0), "carol");
        String vestibuleRoom = onVestibule.createRoom(joinedRoom);
        sent(onVestibule, vestibuleRoom, "before", 5);
        Member synapseJoiner = synapseUser(synapse, "dave");
        synapseJoiner.joins(vestibuleRoom, servers.get(0).serverName());
        List<String> later = sent(onVestibule, vestibuleRoom, "after", 3);
        synapseJoiner.seesMessage(vestibuleRoom, "after3");
        assertThat(pageBack(synapseJoiner, vestibuleRoom, 10).bodies()).isEqualTo(later);
    }
}
