package org.vestibule.typing;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Typing settings (spec client-server §Typing Notifications); the defaults are Synapse's.
 *
 * @param maxTimeout     the longest a client's {@code timeout} may mark a user as typing
 * @param defaultTimeout the timeout when a client gives none
 */
@ConfigurationProperties("vestibule.typing")
public record TypingProperties(@DefaultValue("120s") Duration maxTimeout,
                               @DefaultValue("30s") Duration defaultTimeout) {
}
