package org.vestibule.federation;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the federation transport: inbound request authentication and the outbound client.
 *
 * @param allowPrivateAddresses connect to loopback, link-local, private, unspecified and multicast
 *                              addresses; only for test networks (peers could otherwise make us
 *                              reach into our own network)
 * @param dnsServer             {@code host:port} of the DNS server for SRV and address lookups;
 *                              unset: the system's (SRV via its resolv.conf, addresses via the JDK)
 * @param connectTimeout        how long to wait for a TCP (and TLS) connection to a peer
 * @param requestTimeout        the longest an outbound request may take, from sending to the end of
 *                              the response body
 * @param maxRequestBody        the largest inbound federation request body we read; larger is 413
 * @param maxResponseBody       the largest response body we read from a peer; unset, the response memory
 *                              and at most 256 MB
 * @param responseMemory        what peers' answers being read and parsed may take at once, bytes and
 *                              values together; unset, an eighth of the heap. Parsed, a send_join's
 *                              state takes 4–5 times its size, so this bounds the largest room we can
 *                              join with all its state (about 7,000 members in 32 MB)
 * @param tls                   how we check peers' certificates
 */
@ConfigurationProperties("vestibule.federation")
public record FederationProperties(
        @DefaultValue("false") boolean allowPrivateAddresses,
        String dnsServer,
        @DefaultValue("10s") Duration connectTimeout,
        @DefaultValue("60s") Duration requestTimeout,
        @DefaultValue("8MB") DataSize maxRequestBody,
        DataSize maxResponseBody,
        DataSize responseMemory,
        @DefaultValue Tls tls) {

    /**
     * @param verify     check peers' certificates and host names; {@code false} only for test networks
     * @param trustedCa  a PEM file of extra CA certificates to trust besides the JDK's default ones
     */
    public record Tls(@DefaultValue("true") boolean verify, Path trustedCa) {
    }

    public FederationProperties {
        if (tls == null) {
            tls = new Tls(true, null);
        }
        if (dnsServer != null && dnsServer.isBlank()) {
            dnsServer = null;
        }
        requireNotNegative("max-request-body", maxRequestBody);
        requireNotNegative("max-response-body", maxResponseBody);
        requireNotNegative("response-memory", responseMemory);
        if (responseMemory == null) {
            responseMemory = DataSize.ofBytes(Runtime.getRuntime().maxMemory() / 8);
        }
        if (maxResponseBody == null) {
            maxResponseBody = DataSize.ofBytes(Math.min(DataSize.ofMegabytes(256).toBytes(), responseMemory.toBytes()));
        }
        if (maxRequestBody.toBytes() > Integer.MAX_VALUE || maxResponseBody.toBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("vestibule.federation.max-request-body and max-response-body must be below 2GB");
        }
    }

    private static void requireNotNegative(String name, DataSize size) {
        if (size != null && size.isNegative()) {
            throw new IllegalArgumentException("vestibule.federation." + name + " is " + size + ": a size must not be negative");
        }
    }
}
