package org.vestibule.federation.outbound;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Where and how to reach a server (spec server-server §Resolving server names).
 *
 * @param serverName the server name we resolved; X-Matrix {@code destination} stays this name
 * @param tlsName    the name its certificate must be valid for and that SNI carries (none for IP
 *                   literals); the host of the request URI
 * @param hostHeader the {@code Host} header to send
 * @param addresses  the addresses and ports to try, in order; never empty, all allowed by policy
 * @param via        how we got there, for logs and error messages
 */
public record Destination(String serverName, String tlsName, String hostHeader, List<InetSocketAddress> addresses,
                          String via) {

    public Destination {
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("a destination needs at least one address");
        }
    }

    /** The URI authority for a port: the TLS name, in brackets when it is an IPv6 literal. */
    public String authority(int port) {
        return (tlsName.contains(":") ? "[" + tlsName + "]" : tlsName) + ":" + port;
    }
}
