package org.vestibule.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.Eventually.until;
import static org.vestibule.support.TestNames.unique;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.vestibule.VestibuleApplication;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Recorded;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.Response;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestCertificates;

/**
 * While PostgreSQL is down, requests that need it get 503 with Retry-After and a Matrix body,
 * promptly (Hikari's connection timeout is a few seconds, not 30); once it is back, the same
 * requests succeed on the same pool and what was written before is still there. The server has a
 * PostgreSQL of its own, on a fixed port and data folder, so this test can stop and restart it.
 */
class DatabaseUnavailableIntegrationTests {

    // JUnit deletes both after stop(), once the server and its PostgreSQL are closed.
    @TempDir
    static Path dataDir;
    @TempDir
    static Path serverDataDir;
    static int port;
    static EmbeddedPostgres postgres;
    static ConfigurableApplicationContext server;
    static MatrixClient client;

    static EmbeddedPostgres startPostgres() throws IOException {
        return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDir).setCleanDataDirectory(false)
                .setServerConfig("fsync", "off").start();
    }

    @BeforeAll
    static void start() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        postgres = startPostgres();
        server = new SpringApplicationBuilder(VestibuleApplication.class).run(
                "--server.port=0",
                "--vestibule.server-name=outage.vestibule.invalid",
                "--vestibule.data-dir=" + serverDataDir,
                "--vestibule.tls.enabled=false",
                "--vestibule.rate-limits.enabled=false",
                "--spring.datasource.url=jdbc:postgresql://localhost:" + port + "/postgres",
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=",
                "--vestibule.federation.allow-private-addresses=true",
                "--vestibule.federation.tls.trusted-ca=" + TestCertificates.caPem());
        client = new MatrixClient("http://127.0.0.1:" + server.getEnvironment().getRequiredProperty("local.server.port"));
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    static Response login(String name) {
        return client.post("/_matrix/client/v3/login", null, Map.of("type", "m.login.password",
                "identifier", Map.of("type", "m.id.user", "user", name), "password", "pw-" + name));
    }

    static Response send(User user, String roomId, String txnId, String body) {
        return client.put("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId) + "/send/m.room.message/" + txnId,
                user.accessToken(), Map.of("msgtype", "m.text", "body", body));
    }

    static void assertDatabaseUnavailable(Response response) {
        assertThat(response.status()).as(response.raw()).isEqualTo(503);
        assertThat(response.header("Retry-After")).isEqualTo("5");
        assertThat(response.header("Content-Type")).startsWith("application/json");
        assertThat(response.errcode()).isEqualTo(Errcode.UNKNOWN);
        assertThat(response.error()).contains("database is unavailable");
    }

    @Test
    void aDatabaseOutageIs503UntilItIsBackAndLosesNothing() throws IOException {
        String name = unique("outage");
        User user = client.register(name);
        String roomId = client.createRoom(user, Map.of("preset", "private_chat"));
        send(user, roomId, "before", "written before the outage").expect(200);

        postgres.close();
        postgres = null;

        Instant asked = Instant.now();
        assertDatabaseUnavailable(login(name));
        // Generous, but well under Hikari's default of 30 s that application.properties replaces.
        assertThat(Duration.between(asked, Instant.now())).isLessThan(Duration.ofSeconds(20));
        assertDatabaseUnavailable(client.get("/_matrix/client/v3/sync?timeout=0", user.accessToken()));
        assertDatabaseUnavailable(send(user, roomId, "during", "sent while the database was down"));

        postgres = startPostgres();

        // The pool reconnects by itself; until it has, the answer stays 503 (never 500).
        Response login = null;
        for (int attempt = 0; attempt < 100 && login == null; attempt++) {
            Response r = login(name);
            if (r.status() == 200) {
                login = r;
            } else {
                assertDatabaseUnavailable(r);
            }
        }
        assertThat(login).as("login succeeds once PostgreSQL is back").isNotNull();
        // The client retries its send with the same transaction ID: stored once.
        send(user, roomId, "during", "sent while the database was down").expect(200);
        send(user, roomId, "during", "sent while the database was down").expect(200);

        Response messages = client.get("/_matrix/client/v3/rooms/" + MatrixClient.encode(roomId)
                + "/messages?dir=b&limit=50", login.string("access_token")).expect(200);
        assertThat(messages.raw()).contains("written before the outage");
        assertThat(messages.raw().split("sent while the database was down", -1)).hasSize(2);
    }

    /**
     * A peer whose transaction got our 503 backs off from us once its retries give up, and holds
     * its users' events until we send it something: once PostgreSQL is back, we do.
     */
    @Test
    void theServersWeShareRoomsWithAreToldOnceTheDatabaseIsBack() throws IOException {
        try (FakeFederationServer peer = FakeFederationServer.start()) {
            List<Recorded> sent = new CopyOnWriteArrayList<>();
            peer.onPrefix("/_matrix/federation/v1/send/", r -> {
                sent.add(r);
                return Reply.json(200, Map.of("pdus", Map.of()));
            });
            User user = client.register(unique("shared"));
            String roomId = client.createRoom(user, Map.of("preset", "public_chat"));
            // The peer's user joined, as the join it sent would have left the room's memberships.
            JdbcTemplate jdbc = server.getBean(JdbcTemplate.class);
            String create = jdbc.queryForObject("select event_id from events where room_id = ? and type = 'm.room.create'",
                    String.class, roomId);
            String remote = "@there:" + peer.serverName();
            jdbc.update("insert into room_memberships (room_id, user_id, server_name, membership, event_id, sender) "
                    + "values (?, ?, ?, 'join', ?, ?)", roomId, remote, peer.serverName(), create, remote);

            postgres.close();
            postgres = null;
            assertDatabaseUnavailable(client.get("/_matrix/client/v3/sync?timeout=0", user.accessToken()));
            postgres = startPostgres();

            until("an empty transaction to the peer after the outage",
                    () -> sent.stream().anyMatch(r -> r.path().startsWith("/_matrix/federation/v1/send/back-")));
            Recorded hello = sent.stream().filter(r -> r.path().startsWith("/_matrix/federation/v1/send/back-"))
                    .findFirst().orElseThrow();
            assertThat(hello.method()).isEqualTo("PUT");
            assertThat(StrictJsonParser.parseObject(hello.body(), StrictJsonParser.Limits.REQUEST))
                    .containsEntry("origin", "outage.vestibule.invalid")
                    .containsEntry("pdus", List.of()).containsEntry("edus", List.of());
        }
    }
}
