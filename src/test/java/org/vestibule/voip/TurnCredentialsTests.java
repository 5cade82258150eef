package org.vestibule.voip;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TURN REST API credentials coturn checks: a vector computed with Python's hmac module. */
class TurnCredentialsTests {

    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000), ZoneOffset.UTC);

    @Test
    void usernameIsExpiryAndUserIdAndPasswordIsBase64HmacSha1OfIt() {
        VoipProperties properties = new VoipProperties(List.of("turn:turn.example.org:3478?transport=udp"),
                "coturn-secret", Duration.ofHours(1));
        TurnCredentials.Credentials c = new TurnCredentials(properties, CLOCK).forUser("@alice:example.org").orElseThrow();
        assertThat(c.username()).isEqualTo("1700003600:@alice:example.org");
        // python3: base64.b64encode(hmac.new(b'coturn-secret', b'1700003600:@alice:example.org', hashlib.sha1).digest())
        assertThat(c.password()).isEqualTo("HcihHZX4dnkcKb+twFm8wp3/H7w=");
        assertThat(c.ttl()).isEqualTo(3600);
        assertThat(c.uris()).containsExactly("turn:turn.example.org:3478?transport=udp");
    }

    @Test
    void nothingWithoutUrisOrWithoutASecret() {
        assertThat(new TurnCredentials(new VoipProperties(List.of(), "s", Duration.ofHours(1)), CLOCK).forUser("@a:b"))
                .isEmpty();
        assertThat(new TurnCredentials(new VoipProperties(List.of("turn:t"), null, Duration.ofHours(1)), CLOCK)
                .forUser("@a:b")).isEmpty();
    }
}
