package org.vestibule.interop;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;

/**
 * The real Synapse the interop suite runs against, named by the environment that
 * {@code interop/run} sets: {@code VESTIBULE_INTEROP_SYNAPSE_URL} (its client API, plain HTTP) and
 * {@code VESTIBULE_INTEROP_SYNAPSE_CONTROL} (the {@code interop/synapse/synapse.sh} that started it,
 * for restarts). Without them every interop test is skipped, saying why.
 */
final class Synapse {

    static final String URL_VARIABLE = "VESTIBULE_INTEROP_SYNAPSE_URL";
    static final String CONTROL_VARIABLE = "VESTIBULE_INTEROP_SYNAPSE_CONTROL";

    private static Synapse instance;

    private final String clientUrl;
    private final Path control;
    private final MatrixClient client;
    private final String serverName;
    private final String version;
    // Asked of the control script once: every test class's servers take the same CA.
    private Optional<List<Path>> authority;

    private Synapse(String clientUrl, Path control) {
        this.clientUrl = clientUrl;
        this.control = control;
        this.client = new MatrixClient(clientUrl);
        this.serverName = client.get("/_matrix/key/v2/server", null).expect(200).string("server_name");
        this.version = String.valueOf(((Map<?, ?>) client.get("/_matrix/federation/v1/version", null)
                .expect(200).body().get("server")).get("version"));
    }

    /** The configured Synapse; skips the calling test class when there is none. */
    static synchronized Synapse get() {
        String url = System.getenv(URL_VARIABLE);
        assumeTrue(url != null && !url.isBlank(), "No Synapse to test against: " + URL_VARIABLE + " is not set. "
                + "Run the interop suite with interop/run, which starts a Synapse and sets it.");
        if (instance == null) {
            String control = System.getenv(CONTROL_VARIABLE);
            instance = new Synapse(url, control == null || control.isBlank() ? null : Path.of(control));
        }
        return instance;
    }

    String serverName() {
        return serverName;
    }

    String version() {
        return version;
    }

    MatrixClient client() {
        return client;
    }

    /** A new user through open registration (m.login.dummy). */
    User register(String localpart) {
        return client.register(localpart);
    }

    /** Stops Synapse. */
    void stop() {
        control("stop");
    }

    /**
     * Restarts Synapse backing off from the server for a day, as if its requests to it had failed
     * for that long (it backs off 10 minutes after the first failure, doubling up to 7 days).
     */
    void backOffFrom(String serverName) {
        control("backoff", serverName);
    }

    /** Starts Synapse again on the same database, waiting until it answers. */
    void start() {
        control("start");
    }

    /**
     * The test CA's certificate and key that Synapse's certificate comes from and that it checks
     * peers' certificates against ({@code synapse.sh ca}); empty without the control script, when
     * Synapse must be one that does not check them.
     */
    synchronized Optional<List<Path>> certificateAuthority() {
        if (authority == null) {
            authority = control == null ? Optional.empty() : Optional.of(askForAuthority());
        }
        return authority;
    }

    private List<Path> askForAuthority() {
        List<String> lines = control("ca").lines().filter(line -> !line.isBlank()).toList();
        if (lines.size() < 2) {
            throw new IllegalStateException(control + " ca named no certificate and key: " + lines);
        }
        return List.of(Path.of(lines.get(lines.size() - 2)), Path.of(lines.get(lines.size() - 1)));
    }

    /** The last lines of Synapse's log, read through its control script. */
    String log(int lines) {
        return control("log", String.valueOf(lines));
    }

    private String control(String... args) {
        assumeTrue(control != null, CONTROL_VARIABLE + " is not set: this test must restart Synapse");
        List<String> command = new ArrayList<>(List.of(control.toString()));
        command.addAll(List.of(args));
        try {
            Path log = Files.createTempFile("synapse-control", ".log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 180 s");
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            Files.delete(log);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "Synapse " + version + " " + serverName + " at " + clientUrl;
    }
}
