package org.vestibule.federation.outbound;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.springframework.util.unit.DataSize;
import org.vestibule.event.SigningKey;
import org.vestibule.federation.FederationProperties;
import org.vestibule.support.TestCertificates;

/** Builds the outbound stack by hand, against a fake DNS server and the test CA. */
final class OutboundFixtures implements AutoCloseable {

    final FederationProperties properties;
    final NameResolver names;
    final FederationHttp http;
    final AddressPolicy policy;
    final WellKnownResolver wellKnown;
    final ServerDiscovery discovery;

    OutboundFixtures(String dnsServer, boolean allowPrivate, boolean verifyTls, Duration requestTimeout, Clock clock,
                     int wellKnownPort) {
        this(dnsServer, allowPrivate, verifyTls, TestCertificates.caPem(), requestTimeout, clock, wellKnownPort);
    }

    OutboundFixtures(String dnsServer, boolean allowPrivate, boolean verifyTls, Path trustedCa, Duration requestTimeout,
                     Clock clock, int wellKnownPort) {
        properties = new FederationProperties(allowPrivate, dnsServer, Duration.ofSeconds(2), requestTimeout,
                DataSize.ofMegabytes(8), DataSize.ofKilobytes(64), null, new FederationProperties.Tls(verifyTls, trustedCa));
        names = new NameResolver(dnsServer, Duration.ofSeconds(2));
        policy = new AddressPolicy(allowPrivate);
        http = new FederationHttp(properties, names, policy);
        wellKnown = new WellKnownResolver(http, clock, wellKnownPort);
        discovery = new ServerDiscovery(names, wellKnown, policy);
    }

    FederationClient client(String origin, SigningKey key) {
        return client(origin, key, (int) properties.maxResponseBody().toBytes(),
                new ResponseMemory(properties.responseMemory().toBytes()));
    }

    FederationClient client(String origin, SigningKey key, int maxResponseBytes, ResponseMemory memory) {
        return new FederationClient(discovery, http, origin, key, maxResponseBytes, memory);
    }

    @Override
    public void close() {
        http.close();
    }
}
