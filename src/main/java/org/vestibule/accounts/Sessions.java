package org.vestibule.accounts;

import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** Devices and access tokens (only tokens' SHA-256 is stored). */
@Repository
class Sessions {

    private final JdbcTemplate jdbc;

    Sessions(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    void createDevice(String userId, String deviceId, String displayName, long now) {
        jdbc.update("insert into devices (user_id, device_id, display_name, created_ts) values (?, ?, ?, ?) "
                + "on conflict (user_id, device_id) do nothing", userId, deviceId, displayName, now);
    }

    void createToken(byte[] tokenHash, String userId, String deviceId, long now) {
        jdbc.update("insert into access_tokens (token_hash, user_id, device_id, created_ts) values (?, ?, ?, ?)",
                tokenHash, userId, deviceId, now);
    }

    Optional<ClientUser> byTokenHash(byte[] tokenHash) {
        return jdbc.query("select t.user_id, t.device_id, u.admin from access_tokens t join users u on u.user_id = t.user_id "
                        + "where t.token_hash = ? and not u.deactivated",
                (rs, n) -> new ClientUser(rs.getString(1), rs.getString(2), rs.getBoolean(3)), tokenHash)
                .stream().findFirst();
    }

    void deleteToken(byte[] tokenHash) {
        jdbc.update("delete from access_tokens where token_hash = ?", (Object) tokenHash);
    }

    void deleteDevice(String userId, String deviceId) {
        jdbc.update("delete from devices where user_id = ? and device_id = ?", userId, deviceId);
    }
}
