package org.vestibule.config;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Zero-config database: when no {@code spring.datasource.url} is set, run a real PostgreSQL from
 * Maven Central's binaries in the data folder, kept between runs. Decided when the application
 * starts, not by bean conditions, so that a build processed ahead of time (Spring AOT) still
 * chooses at run time; the packaged jar leaves the binaries out and stops with
 * {@link NoDatabaseConfigured} instead.
 */
public class EmbeddedDatabase implements ApplicationListener<ApplicationPreparedEvent> {

    static final String ZONKY = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

    @Override
    public void onApplicationEvent(ApplicationPreparedEvent event) {
        if (Boolean.getBoolean("spring.aot.processing")) {
            return; // the build generating bean definitions ahead of time needs no database
        }
        ConfigurableApplicationContext context = event.getApplicationContext();
        ConfigurableEnvironment environment = context.getEnvironment();
        String url = environment.getProperty("spring.datasource.url");
        if (url != null && !url.isBlank()) {
            return;
        }
        boolean enabled = environment.getProperty("vestibule.embedded-database.enabled", Boolean.class, true);
        if (!enabled || !ClassUtils.isPresent(ZONKY, EmbeddedDatabase.class.getClassLoader())) {
            throw new NoDatabaseConfigured(enabled);
        }
        String dataDir = environment.getProperty("vestibule.data-dir", "data");
        String unusable = VestibuleProperties.unusable(Path.of(dataDir));
        if (unusable != null) {
            // Checked here as well: the database is started before the settings are bound.
            throw new InvalidConfigurationPropertyValueException("vestibule.data-dir", dataDir, unusable);
        }
        Path dir = Path.of(dataDir).resolve("postgres").toAbsolutePath();
        Started started = Started.start(dir);
        environment.getPropertySources().addFirst(new MapPropertySource("vestibuleEmbeddedDatabase", Map.of(
                "spring.datasource.url", started.jdbcUrl(),
                "spring.datasource.username", "postgres",
                "spring.datasource.password", "")));
        context.getBeanFactory().registerSingleton("embeddedPostgres", started.postgres());
        // Registered before any other bean, so destroyed after all of them: the pool closes first.
        if (context.getBeanFactory() instanceof DefaultListableBeanFactory beans) {
            beans.registerDisposableBean("embeddedPostgres", started::close);
        }
    }

    /** The running server; only loaded when its binaries are on the class path. */
    private record Started(EmbeddedPostgres postgres, String jdbcUrl) {

        private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

        static Started start(Path dir) {
            try {
                Files.createDirectories(dir.getParent());
                log.info("No spring.datasource.url set: starting an embedded PostgreSQL with its data in {}", dir);
                EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                        .setDataDirectory(dir)
                        .setCleanDataDirectory(false)
                        .setServerConfig("max_connections", "100")
                        .start();
                return new Started(postgres, postgres.getJdbcUrl("postgres", "postgres"));
            } catch (IOException e) {
                throw new UncheckedIOException("The embedded PostgreSQL in " + dir + " did not start", e);
            }
        }

        void close() {
            try {
                postgres.close();
            } catch (IOException e) {
                log.warn("The embedded PostgreSQL did not stop cleanly", e);
            }
        }
    }
}
