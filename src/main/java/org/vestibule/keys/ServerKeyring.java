package org.vestibule.keys;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
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

    ServerKeyring(VestibuleProperties properties, StoredSigningKeys keys, TransactionTemplate tx, Clock clock) {
        this.serverName = properties.serverName();
        this.current = tx.execute(status -> {
            List<StoredSigningKey> active = keys.findByExpiredTsIsNullOrderByCreatedTsDesc();
            if (!active.isEmpty()) {
                StoredSigningKey stored = active.get(0);
                log.info("Using signing key {} for {}", stored.keyId(), serverName);
                return SigningKey.fromSeed(stored.keyId(), stored.seed());
            }
            SigningKey fresh = SigningKey.generate("ed25519:a_" + randomVersion());
            keys.save(new StoredSigningKey(fresh.keyId(), fresh.seed(), clock.millis()));
            log.info("Generated signing key {} for {}", fresh.keyId(), serverName);
            return fresh;
        });
        this.oldKeys = keys.findByExpiredTsIsNotNull().stream().collect(Collectors.toUnmodifiableMap(
                StoredSigningKey::keyId,
                k -> new OldKey(SigningKey.fromSeed(k.keyId(), k.seed()).verifyKey(), k.expiredTs())));
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
