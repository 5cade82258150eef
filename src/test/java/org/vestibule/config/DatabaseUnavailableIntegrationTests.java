package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.vestibule.VestibuleApplication;
import org.vestibule.support.TestDatabase;

/**
 * A database that is named but refuses the connection stops the start with what PostgreSQL said
 * and the setting to change: nothing listening there, a login it refuses, a database it lacks.
 */
@ExtendWith(OutputCaptureExtension.class)
class DatabaseUnavailableIntegrationTests {

    @TempDir
    Path dataDir;

    @Test
    void nothingListeningThereNamesTheUrlAndTheSetting(CapturedOutput output) throws IOException {
        String url = "jdbc:postgresql://127.0.0.1:" + closedPort() + "/vestibule?password=hunter2-secret";

        FailureAnalysis analysis = analyse(url, TestDatabase.server().username());

        assertThat(analysis.getDescription()).startsWith("Vestibule cannot reach its database at jdbc:postgresql://127.0.0.1:")
                .contains("refused").doesNotContain("hunter2-secret");
        assertThat(analysis.getAction()).contains("SPRING_DATASOURCE_URL");
        assertThat(output.getOut() + output.getErr()).as("Spring Boot prints our analysis, not the stack")
                .contains("APPLICATION FAILED TO START").contains("Vestibule cannot reach its database")
                .doesNotContain("hunter2-secret");
    }

    @Test
    void aLoginPostgresqlRefusesNamesTheRoleAndTheSettings() {
        TestDatabase.Server server = TestDatabase.server();

        FailureAnalysis analysis = analyse(server.jdbcUrl(server.adminDatabase()), "no_such_role_here");

        assertThat(analysis.getDescription()).contains("refused Vestibule's login as no_such_role_here")
                .contains("no_such_role_here");
        assertThat(analysis.getAction()).contains("SPRING_DATASOURCE_USERNAME").contains("SPRING_DATASOURCE_PASSWORD");
    }

    @Test
    void aDatabaseThatDoesNotExistSaysHowToCreateIt() {
        TestDatabase.Server server = TestDatabase.server();

        FailureAnalysis analysis = analyse(server.jdbcUrl("no_such_database_here"), server.username());

        assertThat(analysis.getDescription()).contains("does not exist").contains("no_such_database_here");
        assertThat(analysis.getAction()).contains("createdb -O " + server.username() + " no_such_database_here");
    }

    private FailureAnalysis analyse(String url, String username) {
        Map<String, Object> settings = Map.of("spring.datasource.url", url, "spring.datasource.username", username,
                "spring.datasource.password", TestDatabase.server().password());
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(VestibuleApplication.class).run(
                "--server.port=0", "--vestibule.tls.port=0", "--vestibule.data-dir=" + dataDir,
                "--spring.datasource.url=" + url, "--spring.datasource.username=" + username,
                "--spring.datasource.password=" + TestDatabase.server().password()));
        assertThat(failure).as("the start fails").isNotNull();
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", settings));
        FailureAnalysis analysis = new DatabaseUnavailableAnalyzer(environment).analyze(failure);
        assertThat(analysis).as("analysed: %s", failure).isNotNull();
        return analysis;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
