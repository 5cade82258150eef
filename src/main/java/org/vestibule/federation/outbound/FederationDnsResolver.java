package org.vestibule.federation.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.apache.hc.client5.http.DnsResolver;

/**
 * The HTTP client's resolver for the names it resolves itself (well-known lookups and their
 * redirects): our DNS, and never an address the policy refuses.
 */
final class FederationDnsResolver implements DnsResolver {

    private final NameResolver names;
    private final AddressPolicy policy;

    FederationDnsResolver(NameResolver names, AddressPolicy policy) {
        this.names = names;
        this.policy = policy;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        List<InetAddress> all = names.addresses(host);
        List<InetAddress> allowed = policy.filter(all);
        if (allowed.isEmpty()) {
            throw new UnknownHostException("refusing to connect to " + host + ": it resolves only to non-public addresses "
                    + all + " (vestibule.federation.allow-private-addresses is false)");
        }
        return allowed.toArray(new InetAddress[0]);
    }

    @Override
    public String resolveCanonicalHostname(String host) {
        return host;
    }
}
