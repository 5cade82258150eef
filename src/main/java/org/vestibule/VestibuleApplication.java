package org.vestibule;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;

/** Vestibule: a Matrix homeserver whose heart is federation joins. */
// Flyway runs only when the schema is behind: config.SchemaMigrations, not Boot's always-on initializer.
@SpringBootApplication(exclude = FlywayAutoConfiguration.class)
@ConfigurationPropertiesScan
public class VestibuleApplication {

    public static void main(String[] args) {
        SpringApplication.run(VestibuleApplication.class, args);
    }
}
