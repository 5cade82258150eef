package org.vestibule.keys;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Key settings.
 *
 * @param validity how long our published key document stays valid (its valid_until_ts); peers
 *                 re-fetch after that. The spec asks for at least an hour.
 * @param remoteCacheMax the longest we trust another server's key document without re-fetching,
 *                       whatever its valid_until_ts says (the spec's seven days)
 * @param remoteRefetchInterval the least time between two fetches of one server's keys: a server
 *                              that failed, or lacks a key we were asked for, is asked again only
 *                              after this
 * @param notaries servers we trust to vouch for other servers' keys (Synapse's
 *                 trusted_key_servers), asked when a server's own document lacks a key or the
 *                 server cannot be reached; none by default
 */
@ConfigurationProperties("vestibule.keys")
public record KeysProperties(
        @DefaultValue("1d") Duration validity,
        @DefaultValue("7d") Duration remoteCacheMax,
        @DefaultValue("30s") Duration remoteRefetchInterval,
        List<String> notaries) {

    public KeysProperties {
        notaries = notaries == null ? List.of() : List.copyOf(notaries);
    }
}
