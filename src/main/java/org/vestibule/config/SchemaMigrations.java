package org.vestibule.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * Brings the schema to the newest migration in {@code db/migration}. When the database has every
 * migration already, which is every start but the first after an upgrade, one query says so and
 * Flyway stays unloaded: its scan, its validation and the Jackson 2 it brings cost a test server a
 * tenth of its start (bench/README.md, "Footprint"). Anything else, a missing migration, a failed
 * one, a repeatable one, an empty database, goes to Flyway as it is.
 */
@Component
class SchemaMigrations {

    static final String LOCATION = "classpath:db/migration";
    private static final Pattern VERSIONED = Pattern.compile("V([0-9][0-9._]*)__.+\\.sql");
    private static final Logger log = LoggerFactory.getLogger(SchemaMigrations.class);

    /** What starting did to the schema. */
    sealed interface Outcome {
        /** Every migration was applied already; Flyway was not run. */
        record Current(int migrations) implements Outcome {}

        /** Flyway ran and applied this many migrations. */
        record Migrated(int applied) implements Outcome {}
    }

    SchemaMigrations(DataSource dataSource) {
        bringUpToDate(dataSource);
    }

    static Outcome bringUpToDate(DataSource dataSource) {
        Set<String> shipped = shippedVersions();
        if (shipped != null && shipped.equals(appliedVersions(dataSource))) {
            log.debug("Schema has all {} migrations; Flyway not needed", shipped.size());
            return new Outcome.Current(shipped.size());
        }
        MigrateResult result = Flyway.configure().dataSource(dataSource).locations(LOCATION).load().migrate();
        if (result.migrationsExecuted > 0) {
            log.info("Applied {} schema migrations, now at version {}", result.migrationsExecuted, result.targetSchemaVersion);
        }
        return new Outcome.Migrated(result.migrationsExecuted);
    }

    /** The versions of the migrations in this build, or null when one is not a plain versioned file. */
    private static Set<String> shippedVersions() {
        Resource[] files;
        try {
            files = new PathMatchingResourcePatternResolver(SchemaMigrations.class.getClassLoader())
                    .getResources(LOCATION + "/*");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the schema migrations in " + LOCATION, e);
        }
        Set<String> versions = new HashSet<>();
        for (Resource file : files) {
            Matcher m = file.getFilename() == null ? null : VERSIONED.matcher(file.getFilename());
            if (m == null || !m.matches()) {
                return null; // a repeatable or callback script: only Flyway knows whether it must run
            }
            versions.add(normalise(m.group(1)));
        }
        return versions;
    }

    /**
     * The versions applied successfully, or null when the history is missing or records a failure
     * or a repeatable migration.
     */
    private static Set<String> appliedVersions(DataSource dataSource) {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet exists = st.executeQuery("SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
                if (!exists.next() || !exists.getBoolean(1)) {
                    return null;
                }
            }
            Set<String> versions = new HashSet<>();
            try (ResultSet rows = st.executeQuery("SELECT version, success, type FROM flyway_schema_history")) {
                while (rows.next()) {
                    String version = rows.getString(1);
                    if (!rows.getBoolean(2)) {
                        return null;
                    }
                    if (version == null) {
                        if (!"SCHEMA".equals(rows.getString(3))) {
                            return null; // repeatable migrations have no version
                        }
                        continue;
                    }
                    versions.add(normalise(version));
                }
            }
            return versions;
        } catch (SQLException e) {
            return null; // let Flyway meet the problem and report it in its own words
        }
    }

    /** "01.2_0" and "1.2.0" are one version to Flyway: compare numbers, not spellings. */
    static String normalise(String version) {
        return Arrays.stream(version.split("[._]"))
                .map(part -> new BigInteger(part).toString())
                .collect(Collectors.joining("."));
    }
}
