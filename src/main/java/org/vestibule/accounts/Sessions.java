package org.vestibule.accounts;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
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

    /** The user of a token, with when its device was last seen (null: never). */
    record TokenOwner(ClientUser user, Long lastSeenTs) {}

    Optional<TokenOwner> byTokenHash(byte[] tokenHash) {
        return jdbc.query("select t.user_id, t.device_id, u.admin, d.last_seen_ts from access_tokens t "
                        + "join users u on u.user_id = t.user_id "
                        + "join devices d on d.user_id = t.user_id and d.device_id = t.device_id "
                        + "where t.token_hash = ? and not u.deactivated",
                (rs, n) -> new TokenOwner(new ClientUser(rs.getString(1), rs.getString(2), rs.getBoolean(3)),
                        (Long) rs.getObject(4)), tokenHash)
                .stream().findFirst();
    }

    /** Records a device as seen, unless another request (on any instance) did since {@code staleBefore}. */
    void touchDevice(String userId, String deviceId, String ip, long now, long staleBefore) {
        jdbc.update("update devices set last_seen_ip = ?, last_seen_ts = ? where user_id = ? and device_id = ? "
                + "and (last_seen_ts is null or last_seen_ts < ?)", ip, now, userId, deviceId, staleBefore);
    }

    List<Device> devices(String userId) {
        return jdbc.query("select device_id, display_name, last_seen_ip, last_seen_ts from devices where user_id = ? "
                + "order by device_id", Sessions::device, userId);
    }

    Optional<Device> device(String userId, String deviceId) {
        return jdbc.query("select device_id, display_name, last_seen_ip, last_seen_ts from devices where user_id = ? "
                + "and device_id = ?", Sessions::device, userId, deviceId).stream().findFirst();
    }

    boolean renameDevice(String userId, String deviceId, String displayName) {
        return jdbc.update("update devices set display_name = ? where user_id = ? and device_id = ?", displayName, userId,
                deviceId) > 0;
    }

    /** Deletes devices and, by the foreign key's cascade, every access token of theirs. */
    void deleteDevices(String userId, Collection<String> deviceIds) {
        jdbc.update("delete from devices where user_id = ? and device_id = any(?)", userId,
                deviceIds.toArray(new String[0]));
    }

    /** Deletes every device of the user and, by the cascade, every access token. */
    void deleteAllDevices(String userId) {
        jdbc.update("delete from devices where user_id = ?", userId);
    }

    private static Device device(ResultSet rs, int row) throws SQLException {
        return new Device(rs.getString(1), rs.getString(2), rs.getString(3), (Long) rs.getObject(4));
    }

    void deleteToken(byte[] tokenHash) {
        jdbc.update("delete from access_tokens where token_hash = ?", (Object) tokenHash);
    }

    void deleteDevice(String userId, String deviceId) {
        jdbc.update("delete from devices where user_id = ? and device_id = ?", userId, deviceId);
    }
}
