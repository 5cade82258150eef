package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.interop.Interop.exchange;
import static org.vestibule.interop.Interop.publicRoom;
import static org.vestibule.interop.Interop.sendMessages;
import static org.vestibule.interop.Interop.synapseUser;
import static org.vestibule.interop.Interop.untilStored;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vestibule.error.Errcode;
import org.vestibule.interop.Interop.Member;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.TestHomeservers;
import org.vestibule.support.TestHomeservers.Homeserver;

/**
 * Vestibule's PostgreSQL stops while a Synapse user talks to ours: Synapse's transactions get 503,
 * and once its retries give up it backs off from us and holds its users' events, while our server
 * stays up and so has no start to announce. Once the database is back, we tell Synapse ourselves.
 */
@DisplayName("Database outages")
class DatabaseOutageInteropTests {

    @TempDir
    Path dataDir;
    EmbeddedPostgres postgres;
    int port;
    TestHomeservers servers;

    EmbeddedPostgres startPostgres() throws IOException {
        return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDir).setCleanDataDirectory(false)
                .setServerConfig("fsync", "off").start();
    }

    @AfterEach
    void stop() throws IOException {
        if (servers != null) {
            servers.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    @DisplayName("Vestibule's database down while Synapse sends, Synapse then backing off: told once the database is back, it sends what it held")
    void databaseBackWhileSynapseBacksOff() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        postgres = startPostgres();
        // A PostgreSQL of its own, so that this test can stop it.
        servers = Interop.vestibule(1, i -> new String[] {
                "--spring.datasource.url=jdbc:postgresql://localhost:" + port + "/postgres",
                "--spring.datasource.username=postgres", "--spring.datasource.password="});
        Homeserver vestibule = servers.get(0);
        Synapse synapse = Synapse.get();
        Member carol = synapseUser(synapse, "carol");
        MatrixClient client = new MatrixClient(vestibule.clientBaseUrl());
        Member erin = new Member(client, client.register("erin" + System.nanoTime() % 1_000_000_000L),
                vestibule.serverName());
        String room = carol.createRoom(publicRoom(10));
        erin.joins(room, synapse.serverName());
        exchange(room, carol, erin);

        postgres.close();
        postgres = null;
        Response refused = client.get("/_matrix/client/v3/sync?timeout=0", erin.user().accessToken());
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.errcode()).isEqualTo(Errcode.UNKNOWN);
        List<String> heldBack = sendMessages(carol, room, "while our database was down", 3);
        // Synapse would not try us again for a day: only our request once the database is back can bring these.
        synapse.backOffFrom(vestibule.serverName());
        postgres = startPostgres();
        untilStored(vestibule, room, heldBack);
        heldBack.forEach(body -> erin.seesMessage(room, body));
        exchange(room, carol, erin);
    }
}
