package org.vestibule.interop;

import static org.vestibule.interop.Interop.exchange;
import static org.vestibule.interop.Interop.publicRoom;
import static org.vestibule.interop.Interop.sendMessages;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.untilStored;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestHomeservers.Homeserver;

/** Interop testers reset servers all the time: after either side restarts, events keep flowing both ways. */
@DisplayName("Resets")
class ResetInteropTests {

    Synapse synapse;
    TestHomeservers servers;
    Homeserver vestibule;

    @BeforeEach
    void start() {
        synapse = Synapse.get();
        servers = Interop.vestibule(1, i -> new String[0]);
        vestibule = servers.get(0);
    }

    @AfterEach
    void stop() {
        vestibule.close();
        servers.close();
    }

    /** A user of the given localpart on Vestibule: registered now, or again after a wipe. */
    Member vestibuleMember(String localpart) {
        MatrixClient client = new MatrixClient(vestibule.clientBaseUrl());
        return new Member(client, client.register(localpart), vestibule.serverName());
    }

    @Test
    @DisplayName("Vestibule restarted on a wiped database under the same name: events flow both ways")
    void vestibuleWipedAndRestarted() {
        Member carol = synapseUser(synapse, "carol");
        String localpart = "dave" + System.nanoTime() % 1_000_000_000L;
        Member dave = vestibuleMember(localpart);
        Member alice = vestibuleMember("alice" + System.nanoTime() % 1_000_000_000L);
        String synapseRoom = carol.createRoom(publicRoom(10));
        dave.joins(synapseRoom, synapse.serverName());
        exchange(synapseRoom, carol, dave);
        String vestibuleRoom = alice.createRoom(publicRoom(10));
        carol.joins(vestibuleRoom, vestibule.serverName());
        exchange(vestibuleRoom, alice, carol);

        // Same name and port, new database: a new signing key, no rooms, and transaction counters from the start.
        vestibule = vestibule.restartOnEmptyDatabase();
        Member daveAgain = vestibuleMember(localpart);
        daveAgain.joins(synapseRoom, synapse.serverName());
        exchange(synapseRoom, carol, daveAgain);

        Member aliceAgain = vestibuleMember("alice" + System.nanoTime() % 1_000_000_000L);
        String newRoom = aliceAgain.createRoom(publicRoom(10));
        carol.joins(newRoom, vestibule.serverName());
        exchange(newRoom, aliceAgain, carol);
    }

    @Test
    @DisplayName("Vestibule restarted while Synapse backs off from it: its start tells Synapse, which sends what it held back")
    void vestibuleRestartedWhileSynapseBacksOff() {
        Member carol = synapseUser(synapse, "carol");
        Member dave = vestibuleMember("dave" + System.nanoTime() % 1_000_000_000L);
        String room = carol.createRoom(publicRoom(10));
        dave.joins(room, synapse.serverName());
        exchange(room, carol, dave);

        List<String> heldBack = new ArrayList<>();
        vestibule = vestibule.restart(() -> {
            // Synapse would not try us again for a day: only our start's request can bring these.
            synapse.backOffFrom(vestibule.serverName());
            heldBack.addAll(sendMessages(carol, room, "held back", 3));
        });
        untilStored(vestibule, room, heldBack);
        Member daveAgain = new Member(new MatrixClient(vestibule.clientBaseUrl()), dave.user(), vestibule.serverName());
        heldBack.forEach(body -> daveAgain.seesMessage(room, body));
        exchange(room, carol, daveAgain);
    }

    @Test
    @DisplayName("Synapse restarted, with a message sent to it while it was down: that message arrives, events flow both ways")
    void synapseRestarted() {
        Member carol = synapseUser(synapse, "carol");
        Member dave = vestibuleMember("dave" + System.nanoTime() % 1_000_000_000L);
        String synapseRoom = carol.createRoom(publicRoom(10));
        dave.joins(synapseRoom, synapse.serverName());
        String vestibuleRoom = dave.createRoom(publicRoom(10));
        carol.joins(vestibuleRoom, vestibule.serverName());
        exchange(vestibuleRoom, dave, carol);

        synapse.stop();
        String whileDown = "sent while Synapse was down " + System.nanoTime();
        dave.send(vestibuleRoom, whileDown);
        synapse.start();
        // Our queue backed off from Synapse and retries on its own; nothing sent is lost.
        carol.seesMessage(vestibuleRoom, whileDown);
        exchange(synapseRoom, carol, dave);
        exchange(vestibuleRoom, dave, carol);
    }
}
