package org.vestibule.voip;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * TURN settings for {@code GET /voip/turnServer}, as Synapse's {@code turn_uris},
 * {@code turn_shared_secret} and {@code turn_user_lifetime}.
 *
 * @param turnUris         TURN URIs handed to clients ({@code turn:} or {@code turns:}); none: no TURN server
 * @param turnSharedSecret the secret the TURN server shares with us (coturn's {@code static-auth-secret})
 * @param turnUserLifetime how long the credentials we hand out stay valid
 */
@ConfigurationProperties("vestibule.voip")
public record VoipProperties(
        @DefaultValue List<String> turnUris,
        String turnSharedSecret,
        @DefaultValue("1h") Duration turnUserLifetime) {

    /** Whether there is a TURN server to hand out credentials for. */
    boolean configured() {
        return !turnUris.isEmpty() && turnSharedSecret != null && !turnSharedSecret.isEmpty();
    }

    @Override
    public String toString() {
        return "VoipProperties[turnUris=" + turnUris + ", sharedSecret=" + (turnSharedSecret == null ? "unset" : "set")
                + ", turnUserLifetime=" + turnUserLifetime + "]";
    }
}
