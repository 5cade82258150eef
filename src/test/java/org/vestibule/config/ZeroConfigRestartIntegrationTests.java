package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.ConfigurableApplicationContext;
import org.vestibule.VestibuleApplication;
import org.vestibule.keys.ServerKeyring;

/**
 * With no database configured, Vestibule runs its own PostgreSQL in the data folder; a second
 * start reuses that database, the signing key and the generated certificate.
 */
class ZeroConfigRestartIntegrationTests {

    private static ConfigurableApplicationContext start(Path dataDir) {
        return new SpringApplicationBuilder(VestibuleApplication.class).run(
                "--server.port=0", "--vestibule.tls.port=0", "--vestibule.data-dir=" + dataDir,
                "--vestibule.server-name=restart.vestibule.invalid");
    }

    @Test
    void secondStartReusesDatabaseKeyAndCertificate(@TempDir Path dataDir) throws Exception {
        String keyId;
        String certificate;
        try (ConfigurableApplicationContext first = start(dataDir)) {
            assertThat(first.getEnvironment().getPropertySources().contains("vestibuleEmbeddedDatabase")).isTrue();
            assertThat(first.getEnvironment().getProperty("spring.datasource.url")).startsWith("jdbc:postgresql://");
            assertThat(Files.isDirectory(dataDir.resolve("postgres"))).isTrue();
            // Tomcat's work folder too, not a new one in the system's temporary directory at each start.
            assertThat(Files.isDirectory(dataDir.resolve("tomcat/work"))).isTrue();
            keyId = first.getBean(ServerKeyring.class).signingKey().keyId();
            certificate = Files.readString(dataDir.resolve("tls/federation.crt"));
            assertThat(first.getBean(FederationListener.class).port()).isPositive();
        }
        try (ConfigurableApplicationContext second = start(dataDir)) {
            assertThat(second.getBean(ServerKeyring.class).signingKey().keyId()).isEqualTo(keyId);
            assertThat(Files.readString(dataDir.resolve("tls/federation.crt"))).isEqualTo(certificate);
        }
    }

    @Test
    void withoutDatabaseOrEmbeddedOneItStopsSayingWhatToSet(@TempDir Path dataDir) throws Exception {
        assertThatThrownBy(() -> new SpringApplicationBuilder(VestibuleApplication.class).run(
                        "--server.port=0", "--vestibule.tls.port=0", "--vestibule.data-dir=" + dataDir,
                        "--spring.datasource.url=", "--vestibule.embedded-database.enabled=false"))
                .isInstanceOfSatisfying(NoDatabaseConfigured.class, e -> {
                    FailureAnalysis analysis = new NoDatabaseConfiguredAnalyzer().analyze(e);
                    assertThat(analysis.getDescription()).contains("spring.datasource.url is not set");
                    assertThat(analysis.getAction()).contains("SPRING_DATASOURCE_URL=jdbc:postgresql://")
                            .contains("./mvnw spring-boot:run");
                });
        assertThat(Files.exists(dataDir.resolve("postgres"))).isFalse();
    }

    @Test
    void aDataFolderUnderAFileStopsTheEmbeddedDatabaseBeforeItStartsSayingWhy(@TempDir Path folder) throws Exception {
        Path file = Files.writeString(folder.resolve("a-file"), "x");

        assertThatThrownBy(() -> start(file.resolve("data")))
                .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class, e -> {
                    assertThat(e.getName()).isEqualTo("vestibule.data-dir");
                    assertThat(e.getReason()).contains(file + " is a file, not a folder").contains("VESTIBULE_DATA_DIR");
                });
    }
}
