package org.vestibule.config;

import org.postgresql.util.PSQLException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * A start stopped by PostgreSQL refusing to connect at all: what it said and which setting to
 * change, instead of seventy lines of Hikari, Flyway and Spring stack. Only the connection's
 * SQL states (08 connection, 28 login, 3D000 no such database, 53300 too many connections);
 * anything else, such as a migration that fails, keeps Spring's report.
 */
class DatabaseUnavailableAnalyzer extends AbstractFailureAnalyzer<PSQLException> {

    private final Environment environment;

    DatabaseUnavailableAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PSQLException cause) {
        String state = cause.getSQLState();
        if (state == null) {
            return null;
        }
        String url = withoutParameters(environment.getProperty("spring.datasource.url", ""));
        String user = environment.getProperty("spring.datasource.username", "");
        String said = cause.getServerErrorMessage() != null
                ? cause.getServerErrorMessage().getMessage() : cause.getMessage();
        if (state.startsWith("08")) {
            return new FailureAnalysis("Vestibule cannot reach its database at " + url + ": " + said,
                    "Start PostgreSQL there, or point SPRING_DATASOURCE_URL (spring.datasource.url) at the "
                            + "host, port and database where it runs: jdbc:postgresql://HOST:PORT/DATABASE.",
                    cause);
        }
        if (state.startsWith("28")) {
            return new FailureAnalysis("PostgreSQL at " + url + " refused Vestibule's login"
                    + (user.isEmpty() ? "" : " as " + user) + ": " + said,
                    "Set SPRING_DATASOURCE_USERNAME and SPRING_DATASOURCE_PASSWORD to a role that may log in "
                            + "to that database from this host (its pg_hba.conf decides which may).",
                    cause);
        }
        if (state.equals("3D000")) {
            return new FailureAnalysis("The database of " + url + " does not exist: " + said,
                    "Create it (createdb -O " + (user.isEmpty() ? "USER" : user) + " " + databaseOf(url)
                            + "), or name an existing one in SPRING_DATASOURCE_URL. Vestibule makes its "
                            + "tables itself on an empty database.",
                    cause);
        }
        if (state.equals("53300")) {
            return new FailureAnalysis("PostgreSQL at " + url + " has no connection left for Vestibule: " + said,
                    "Raise PostgreSQL's max_connections, or lower spring.datasource.hikari.maximum-pool-size "
                            + "of the servers sharing it.",
                    cause);
        }
        return null;
    }

    /** The URL up to its parameters, which may hold a password. */
    private static String withoutParameters(String url) {
        int query = url.indexOf('?');
        String shown = query < 0 ? url : url.substring(0, query);
        return shown.isEmpty() ? "(spring.datasource.url unset)" : shown;
    }

    private static String databaseOf(String url) {
        int slash = url.lastIndexOf('/');
        String name = slash < 0 ? "" : url.substring(slash + 1);
        return name.isEmpty() || name.contains(":") ? "DATABASE" : name;
    }
}
