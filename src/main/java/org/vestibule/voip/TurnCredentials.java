package org.vestibule.voip;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.stereotype.Service;

/**
 * Time-limited TURN credentials in the TURN REST API scheme that coturn checks with
 * {@code use-auth-secret} (and Synapse hands out): the username is {@code <expiry>:<userId>}, the
 * password base64(HMAC-SHA1(secret, username)).
 */
@Service
public class TurnCredentials {

    /** What {@code GET /voip/turnServer} answers (spec client-server §Voice over IP). */
    public record Credentials(String username, String password, List<String> uris, long ttl) {}

    private final VoipProperties properties;
    private final Clock clock;

    TurnCredentials(VoipProperties properties, Clock clock) {
        this.properties = properties;
        this.clock = clock;
    }

    /** Credentials for the user, or empty when no TURN server is configured. */
    public Optional<Credentials> forUser(String userId) {
        if (!properties.configured()) {
            return Optional.empty();
        }
        long lifetimeSeconds = properties.turnUserLifetime().toSeconds();
        long expiry = clock.millis() / 1000 + lifetimeSeconds;
        String username = expiry + ":" + userId;
        return Optional.of(new Credentials(username, password(properties.turnSharedSecret(), username),
                List.copyOf(properties.turnUris()), lifetimeSeconds));
    }

    static String password(String secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA1 is not available", e);
        }
    }
}
