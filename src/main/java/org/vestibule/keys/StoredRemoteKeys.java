package org.vestibule.keys;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Other servers' keys in PostgreSQL. Upserts, so that two instances fetching at once both succeed. */
interface StoredRemoteKeys extends JpaRepository<StoredRemoteKey, StoredRemoteKey.Id> {

    List<StoredRemoteKey> findByServerName(String serverName);

    @Modifying
    @Query(nativeQuery = true, value = """
            INSERT INTO remote_server_keys (server_name, key_id, verify_key, valid_until_ts, expired_ts, fetched_ts, key_json)
            VALUES (:server, :keyId, :key, :validUntilTs, NULL, :fetchedTs, :json)
            ON CONFLICT (server_name, key_id) DO UPDATE SET verify_key = EXCLUDED.verify_key,
                valid_until_ts = EXCLUDED.valid_until_ts, expired_ts = NULL, fetched_ts = EXCLUDED.fetched_ts,
                key_json = EXCLUDED.key_json""")
    void upsertVerifyKey(@Param("server") String server, @Param("keyId") String keyId, @Param("key") byte[] key,
                         @Param("validUntilTs") long validUntilTs, @Param("fetchedTs") long fetchedTs,
                         @Param("json") byte[] json);

    @Modifying
    @Query(nativeQuery = true, value = """
            INSERT INTO remote_server_keys (server_name, key_id, verify_key, valid_until_ts, expired_ts, fetched_ts, key_json)
            VALUES (:server, :keyId, :key, :expiredTs, :expiredTs, :fetchedTs, :json)
            ON CONFLICT (server_name, key_id) DO UPDATE SET verify_key = EXCLUDED.verify_key,
                valid_until_ts = EXCLUDED.valid_until_ts, expired_ts = EXCLUDED.expired_ts,
                fetched_ts = EXCLUDED.fetched_ts, key_json = EXCLUDED.key_json""")
    void upsertOldKey(@Param("server") String server, @Param("keyId") String keyId, @Param("key") byte[] key,
                      @Param("expiredTs") long expiredTs, @Param("fetchedTs") long fetchedTs, @Param("json") byte[] json);
}
