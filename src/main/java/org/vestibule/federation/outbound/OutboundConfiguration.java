package org.vestibule.federation.outbound;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.vestibule.event.Json;
import org.vestibule.federation.FederationProperties;
import org.vestibule.keys.KeyDocumentFetcher;
import org.vestibule.keys.ServerKeyring;

/** Wires the outbound client: DNS, address policy, the pooled HTTP client, discovery. */
@Configuration(proxyBeanMethods = false)
class OutboundConfiguration {

    @Bean
    NameResolver federationNameResolver(FederationProperties properties) {
        return new NameResolver(properties.dnsServer(), properties.connectTimeout());
    }

    @Bean(destroyMethod = "close")
    FederationHttp federationHttp(FederationProperties properties, NameResolver names) {
        return new FederationHttp(properties, names, new AddressPolicy(properties.allowPrivateAddresses()));
    }

    @Bean
    ServerDiscovery serverDiscovery(FederationProperties properties, NameResolver names, FederationHttp http, Clock clock) {
        return new ServerDiscovery(names, new WellKnownResolver(http, clock, 443),
                new AddressPolicy(properties.allowPrivateAddresses()));
    }

    @Bean
    FederationClient federationClient(ServerDiscovery discovery, FederationHttp http, ServerKeyring keyring,
                                      FederationProperties properties) {
        return new FederationClient(discovery, http, keyring.serverName(), keyring.signingKey(),
                (int) properties.maxResponseBody().toBytes(), new ResponseMemory(properties.responseMemory().toBytes()));
    }

    @Bean
    KeyDocumentFetcher keyDocumentFetcher(FederationClient client) {
        return new KeyDocumentFetcher() {
            @Override
            public Map<String, Object> fetch(String server) {
                try {
                    return client.serverKeys(server);
                } catch (FederationException e) {
                    throw new KeyDocumentFetcher.Unreachable(e.getMessage(), e);
                }
            }

            @Override
            public List<Map<String, Object>> fetchFromNotary(String notary, String server, String keyId, long minimumValidUntilTs) {
                try {
                    List<Map<String, Object>> documents = new ArrayList<>();
                    for (Object o : Json.list(client.notaryKeys(notary, server, keyId, minimumValidUntilTs), "server_keys")) {
                        if (o instanceof Map<?, ?> m) {
                            documents.add(Json.object(Map.of("d", m), "d"));
                        }
                    }
                    return documents;
                } catch (FederationException e) {
                    throw new KeyDocumentFetcher.Unreachable(e.getMessage(), e);
                }
            }
        };
    }
}
