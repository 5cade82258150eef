package org.vestibule.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The real PostgreSQL every test uses, chosen once per JVM: a server from
 * {@code VESTIBULE_TEST_JDBC_URL} if set, else Testcontainers when a Docker engine answers and holds
 * its images, else an embedded server. Each Spring context gets a database of its own on it.
 */
public final class TestDatabase {

    /** Where to reach the server, and a database on it we may connect to for CREATE DATABASE. */
    public record Server(String host, int port, String adminDatabase, String username, String password, String kind) {

        public String jdbcUrl(String database) {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }
    }

    private static final String POSTGRES_IMAGE = "postgres:17-alpine";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static volatile Server server;

    private TestDatabase() {}

    public static Server server() {
        Server s = server;
        if (s == null) {
            synchronized (TestDatabase.class) {
                s = server;
                if (s == null) {
                    s = start();
                    server = s;
                }
            }
        }
        return s;
    }

    /** Creates an empty database and returns its JDBC URL. */
    public static String newDatabase(String purpose) {
        Server s = server();
        String name = "vt_" + purpose.replaceAll("[^a-z0-9]", "_") + "_" + ProcessHandle.current().pid() + "_"
                + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(s.adminDatabase()), s.username(), s.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name + " on " + s.kind()
                    + " PostgreSQL: " + e.getMessage(), e);
        }
        return s.jdbcUrl(name);
    }

    private static Server start() {
        String url = System.getenv("VESTIBULE_TEST_JDBC_URL");
        if (url != null && !url.isBlank()) {
            return external(url);
        }
        if (dockerHasImages() && dockerAvailable()) {
            PostgreSQLContainer pg = new PostgreSQLContainer(POSTGRES_IMAGE);
            pg.start();
            return new Server(pg.getHost(), pg.getMappedPort(5432), pg.getDatabaseName(), pg.getUsername(),
                    pg.getPassword(), "testcontainers");
        }
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(Files.createTempDirectory("vestibule-test-pg"))
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    .start();
            return new Server("localhost", pg.getPort(), "postgres", "postgres", "", "embedded");
        } catch (IOException e) {
            throw new IllegalStateException("could not start the embedded PostgreSQL for tests", e);
        }
    }

    /**
     * Whether the engine holds PostgreSQL's image and one of Ryuk's (Testcontainers' reaper, whose
     * version it chooses), asked of the Docker client: an engine without a registry (as
     * interop/complement/run installs) would have Testcontainers retry its pulls for minutes before
     * the tests could fall back.
     */
    private static boolean dockerHasImages() {
        boolean ryukNeeded = !"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"));
        String postgres = docker("image", "ls", "--quiet", POSTGRES_IMAGE);
        String ryuk = ryukNeeded ? docker("image", "ls", "--quiet", "testcontainers/ryuk") : "not needed";
        return postgres != null && !postgres.isBlank() && ryuk != null && !ryuk.isBlank();
    }

    /** What the Docker client printed, or null when it failed or there is none. */
    private static String docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        try {
            // Into a file, so that an engine that does not answer cannot hold the tests past the timeout.
            Path output = Files.createTempFile("vestibule-docker", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                        .redirectOutput(output.toFile()).start();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return null;
                }
                return process.exitValue() == 0 ? Files.readString(output) : null;
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }

    private static Server external(String url) {
        // jdbc:postgresql://host[:port]/database[?...]
        String rest = url.substring("jdbc:postgresql://".length());
        int q = rest.indexOf('?');
        if (q >= 0) {
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        String hostPort = rest.substring(0, slash);
        String database = rest.substring(slash + 1);
        int colon = hostPort.lastIndexOf(':');
        String host = colon > 0 ? hostPort.substring(0, colon) : hostPort;
        int port = colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : 5432;
        String user = System.getenv().getOrDefault("VESTIBULE_TEST_JDBC_USERNAME", "postgres");
        String password = System.getenv().getOrDefault("VESTIBULE_TEST_JDBC_PASSWORD", "");
        return new Server(host, port, database, user, password, "external");
    }
}
