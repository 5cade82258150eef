package org.vestibule.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Says which setting to give, and which command runs the embedded database instead. */
class NoDatabaseConfiguredAnalyzer extends AbstractFailureAnalyzer<NoDatabaseConfigured> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, NoDatabaseConfigured cause) {
        String action = """
                Point Vestibule at a PostgreSQL (13 or later) database:

                    SPRING_DATASOURCE_URL=jdbc:postgresql://HOST:5432/DATABASE \\
                    SPRING_DATASOURCE_USERNAME=USER SPRING_DATASOURCE_PASSWORD=PASSWORD bin/vestibule

                """ + (cause.embeddedEnabled()
                ? "or run it from the source tree with its embedded PostgreSQL, kept in <data-dir>/postgres:\n\n"
                        + "    ./mvnw spring-boot:run\n"
                : "or remove vestibule.embedded-database.enabled=false and run it from the source tree:\n\n"
                        + "    ./mvnw spring-boot:run\n");
        return new FailureAnalysis("Vestibule has no database: " + cause.getMessage() + ".", action, cause);
    }
}
