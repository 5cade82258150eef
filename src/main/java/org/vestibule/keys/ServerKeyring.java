package org.vestibule.keys;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.vestibule.config.VestibuleProperties;
import org.vestibule.event.SigningKey;
import org.vestibule.event.VerifyKey;

/** Our server name and signing keys: generated on first start, then read back from PostgreSQL. */
@Component
public class ServerKeyring {

    private static final Logger log = LoggerFactory.getLogger(ServerKeyring.class);
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private final String serverName;
    private final SigningKey current;
    private final Map<String, OldKey> oldKeys;

    /** A retired key: still valid for events signed before it expired. */
    public record OldKey(VerifyKey key, long expiredTs) {}

    // Plain SQL, not JPA: the key is needed while the context is built, and JPA's EntityManagerFactory
    // is meanwhile bootstrapping on another thread (spring.data.jpa.repositories.bootstrap-mode).
    ServerKeyring(VestibuleProperties properties, JdbcClient jdbc, Clock clock) {
        this.serverName = properties.serverName();
        List<Row> rows = rows(jdbc);
        if (rows.stream().noneMatch(row -> row.expiredTs() == null)) {
            SigningKey fresh = SigningKey.generate("ed25519:a_" + randomVersion());
            // Only if no other instance made one meanwhile.
            int made = jdbc.sql("""
                    INSERT INTO server_signing_keys (key_id, seed, created_ts)
                    SELECT :keyId, :seed, :createdTs
                    WHERE NOT EXISTS (SELECT 1 FROM server_signing_keys WHERE expired_ts IS NULL)""")
                    .param("keyId", fresh.keyId()).param("seed", fresh.seed()).param("createdTs", clock.millis())
                    .update();
            if (made == 1) {
                log.info("Generated signing key {} for {}", fresh.keyId(), serverName);
            }
            rows = rows(jdbc);
        }
        Row active = rows.stream().filter(row -> row.expiredTs() == null).findFirst().orElseThrow();
        this.current = SigningKey.fromSeed(active.keyId(), active.seed());
        log.info("Using signing key {} for {}", active.keyId(), serverName);
        this.oldKeys = rows.stream().filter(row -> row.expiredTs() != null).collect(Collectors.toUnmodifiableMap(
                Row::keyId, row -> new OldKey(SigningKey.fromSeed(row.keyId(), row.seed()).verifyKey(), row.expiredTs())));
    }

    /** A row of server_signing_keys; the seed is secret and stays in this class. */
    private record Row(String keyId, byte[] seed, Long expiredTs) {}

    /** Newest first; the tie-break makes every instance pick the same one. */
    private static List<Row> rows(JdbcClient jdbc) {
        return jdbc.sql("SELECT key_id, seed, expired_ts FROM server_signing_keys ORDER BY created_ts DESC, key_id")
                .query((rs, n) -> new Row(rs.getString(1), rs.getBytes(2), rs.getObject(3, Long.class)))
                .list();
    }

    private static String randomVersion() {
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder(4);
        for (int i = 0; i < 4; i++) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    public String serverName() {
        return serverName;
    }

    /** The key we sign events and requests with. */
    public SigningKey signingKey() {
        return current;
    }

    public Map<String, OldKey> oldKeys() {
        return oldKeys;
    }

    /** Whether a server name is ours. */
    public boolean isOurs(String server) {
        return serverName.equals(server);
    }
}
