package org.vestibule.error;

import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Whether PostgreSQL refused a text value because it holds U+0000 (SQLSTATE 22021), which no text
 * column stores: a display name, a status message or an ID a client sent with {@code \u0000} in
 * it. The request's fault, so 400, and its transaction is rolled back whole. Events store theirs
 * (room/DbText); this is for the rest.
 */
final class UnstorableText {

    static final String CHARACTER_NOT_IN_REPERTOIRE = "22021";

    private UnstorableText() {}

    static boolean causedBy(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    if (CHARACTER_NOT_IN_REPERTOIRE.equals(s.getSQLState())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
