package org.vestibule.presence;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Presence settings (spec client-server §Presence); the defaults are Synapse's.
 *
 * @param offlineAfter       how long after their last sync (or presence update) our users become
 *                           {@code offline}
 * @param idleAfter          how long without activity before our {@code online} users become
 *                           {@code unavailable} (spec §Idle timeout)
 * @param remoteOfflineAfter how long without news from its server before another server's user
 *                           becomes {@code offline}
 */
@ConfigurationProperties("vestibule.presence")
public record PresenceProperties(@DefaultValue("30s") Duration offlineAfter,
                                 @DefaultValue("5m") Duration idleAfter,
                                 @DefaultValue("30m") Duration remoteOfflineAfter) {
}
