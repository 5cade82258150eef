package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.vestibule.support.TestDatabase;

/** Flyway runs when the schema is behind or in doubt, and only then. */
class SchemaMigrationsTests {

    private static DataSource newDatabase(String purpose) {
        TestDatabase.Server server = TestDatabase.server();
        return new DriverManagerDataSource(TestDatabase.newDatabase(purpose), server.username(), server.password());
    }

    private static int shippedMigrations() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("db/migration"))) {
            return (int) files.filter(f -> f.getFileName().toString().matches("V.+__.+\\.sql")).count();
        }
    }

    private static String newestApplied(JdbcClient jdbc) {
        return jdbc.sql("SELECT version FROM flyway_schema_history ORDER BY installed_rank DESC LIMIT 1")
                .query(String.class).single();
    }

    @Test
    void anEmptyDatabaseIsMigratedThenFoundCurrentWithoutFlyway() throws IOException {
        DataSource db = newDatabase("schema_current");
        int shipped = shippedMigrations();

        assertThat(SchemaMigrations.bringUpToDate(db)).isEqualTo(new SchemaMigrations.Outcome.Migrated(shipped));
        assertThat(SchemaMigrations.bringUpToDate(db)).isEqualTo(new SchemaMigrations.Outcome.Current(shipped));
        assertThat(JdbcClient.create(db).sql("SELECT count(*) FROM rooms").query(Integer.class).single()).isZero();
    }

    @Test
    void aMissingMigrationSendsItToFlyway() {
        DataSource db = newDatabase("schema_behind");
        SchemaMigrations.bringUpToDate(db);
        JdbcClient jdbc = JdbcClient.create(db);
        // As if the newest migration had not run yet: its history row gone (its objects stay).
        String newest = newestApplied(jdbc);
        String script = jdbc.sql("SELECT script FROM flyway_schema_history WHERE version = ?").param(newest)
                .query(String.class).single();
        jdbc.sql("DELETE FROM flyway_schema_history WHERE version = ?").param(newest).update();

        // Flyway runs it again: it applies, or (its objects exist already) fails naming the script.
        try {
            assertThat(SchemaMigrations.bringUpToDate(db)).isEqualTo(new SchemaMigrations.Outcome.Migrated(1));
        } catch (FlywayException e) {
            assertThat(e).hasMessageContaining(script);
        }
    }

    @Test
    void aFailedMigrationInTheHistoryIsLeftToFlywayToReport() {
        DataSource db = newDatabase("schema_failed");
        SchemaMigrations.bringUpToDate(db);
        JdbcClient jdbc = JdbcClient.create(db);
        String newest = newestApplied(jdbc);
        jdbc.sql("UPDATE flyway_schema_history SET success = false WHERE version = ?").param(newest).update();

        assertThatThrownBy(() -> SchemaMigrations.bringUpToDate(db))
                .isInstanceOf(FlywayException.class)
                .hasMessageContaining("failed migration to version " + newest);
    }

    @Test
    void versionsCompareAsNumbers() {
        assertThat(SchemaMigrations.normalise("01.2_0")).isEqualTo("1.2.0");
        assertThat(SchemaMigrations.normalise("40")).isEqualTo("40");
    }
}
