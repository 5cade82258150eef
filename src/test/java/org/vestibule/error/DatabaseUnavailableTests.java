package org.vestibule.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.hibernate.TransactionException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.orm.jpa.JpaSystemException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/** Which failures are a database that cannot be reached (503) and which stay a 500. */
class DatabaseUnavailableTests {

    @Test
    void connectionFailuresAnywhereInTheCauseChain() {
        assertThat(DatabaseUnavailable.causedBy(new IllegalStateException("wrapped",
                new SQLException("An I/O error occurred while sending to the backend.", "08006")))).isTrue();
        assertThat(DatabaseUnavailable.causedBy(new SQLException("terminating connection due to administrator command",
                "57P01"))).isTrue();
        assertThat(DatabaseUnavailable.causedBy(new SQLException("the database system is starting up", "57P03")))
                .isTrue();
        assertThat(DatabaseUnavailable.causedBy(new CannotCreateTransactionException("no connection",
                new SQLTransientConnectionException("Connection is not available, request timed out after 3000ms"))))
                .isTrue();
    }

    @Test
    void aRollbackOnAConnectionThePoolClosedHidesTheFirstFailure() {
        // What Spring throws instead of the 08006 that made Hikari close the connection.
        assertThat(DatabaseUnavailable.causedBy(new JpaSystemException(new TransactionException(
                "Unable to rollback against JDBC Connection", new SQLException("Connection is closed"))))).isTrue();
        TransactionSystemException rollback = new TransactionSystemException("Could not roll back");
        rollback.initApplicationException(new SQLException("broken pipe", "08006"));
        assertThat(DatabaseUnavailable.causedBy(rollback)).isTrue();
    }

    @Test
    void otherDatabaseErrorsAreNot() {
        assertThat(DatabaseUnavailable.causedBy(new DataIntegrityViolationException("duplicate",
                new SQLException("duplicate key value violates unique constraint", "23505")))).isFalse();
        assertThat(DatabaseUnavailable.causedBy(new SQLException("syntax error", "42601"))).isFalse();
        assertThat(DatabaseUnavailable.causedBy(new JpaSystemException(new TransactionException(
                "Unable to commit against JDBC Connection", new SQLException("deferred check", "23503"))))).isFalse();
        assertThat(DatabaseUnavailable.causedBy(new IllegalStateException("no cause"))).isFalse();
        assertThat(DatabaseUnavailable.causedBy(null)).isFalse();
    }
}
