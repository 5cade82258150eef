package org.vestibule.accounts;

import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** User-interactive authentication sessions, in PostgreSQL so that any instance can continue one. */
@Repository
class UiaSessions {

    /** A session: whose, for which operation, and whether a stage has passed. */
    record UiaSession(String sessionId, String userId, String operation, boolean completed, long createdTs) {}

    private final JdbcTemplate jdbc;

    UiaSessions(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    void create(String sessionId, String userId, String operation, long now, long expiredBefore) {
        jdbc.update("delete from uia_sessions where created_ts < ?", expiredBefore);
        jdbc.update("insert into uia_sessions (session_id, user_id, operation, created_ts) values (?, ?, ?, ?)",
                sessionId, userId, operation, now);
    }

    Optional<UiaSession> find(String sessionId, long expiredBefore) {
        return jdbc.query("select session_id, user_id, operation, completed, created_ts from uia_sessions "
                        + "where session_id = ? and created_ts >= ?",
                (rs, n) -> new UiaSession(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4),
                        rs.getLong(5)), sessionId, expiredBefore).stream().findFirst();
    }

    void complete(String sessionId) {
        jdbc.update("update uia_sessions set completed = true where session_id = ?", sessionId);
    }
}
