package org.vestibule.error;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.hibernate.TransactionException;
import org.hibernate.exception.JDBCConnectionException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/**
 * Whether a failure means PostgreSQL could not be reached (down, restarting, refusing
 * connections, pool timed out) rather than that the request or our code was wrong: those are
 * 503 with {@code Retry-After}, not 500. Only connection-level failures count; a constraint
 * violation or a bad query stays a 500.
 */
public final class DatabaseUnavailable {

    /** What clients are told to wait: a restart of PostgreSQL takes a few seconds. */
    public static final int RETRY_AFTER_SECONDS = 5;

    private DatabaseUnavailable() {}

    /** True when {@code failure} or anything in its cause chain is a lost or refused database connection. */
    public static boolean causedBy(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof CannotCreateTransactionException || t instanceof DataAccessResourceFailureException
                    || t instanceof JDBCConnectionException || t instanceof SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && connectionState(sql.getSQLState())) {
                return true;
            }
            if (t instanceof TransactionSystemException tx && tx.getApplicationException() != null
                    && causedBy(tx.getApplicationException())) {
                return true;
            }
            if ((t instanceof TransactionException || t instanceof TransactionSystemException) && closedConnection(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A rollback (or commit) that failed on a connection the pool had already closed: the failure
     * that made Hikari close it (an 08 state) is then lost, because Spring throws the rollback's
     * exception instead; Hikari's closed connection says so with an SQLException without a state.
     */
    private static boolean closedConnection(Throwable completion) {
        for (Throwable t = completion.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * SQLSTATE class 08 (connection exception), and 57P01–57P03: the server is shutting down
     * (admin or crash shutdown) or cannot accept connections yet (starting up, recovering).
     */
    static boolean connectionState(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.equals("57P01") || sqlState.equals("57P02")
                || sqlState.equals("57P03"));
    }
}
