package org.vestibule.federation.outbound;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.vestibule.event.Identifiers;
import org.vestibule.federation.outbound.NameResolver.SrvTarget;

/**
 * Turns a server name into a {@link Destination} (spec server-server §Resolving server names):
 * IP literal; host with explicit port; {@code .well-known/matrix/server} delegation (then IP
 * literal, explicit port, SRV {@code _matrix-fed._tcp}, deprecated SRV {@code _matrix._tcp}, or
 * port 8448); else SRV on the name itself, then port 8448. Addresses the policy refuses are
 * dropped; if none is left the server is unreachable.
 */
public class ServerDiscovery {

    static final int DEFAULT_PORT = 8448;
    private static final String[] SRV_SERVICES = {"_matrix-fed._tcp.", "_matrix._tcp."};

    private final NameResolver names;
    private final WellKnownResolver wellKnown;
    private final AddressPolicy policy;

    ServerDiscovery(NameResolver names, WellKnownResolver wellKnown, AddressPolicy policy) {
        this.names = names;
        this.wellKnown = wellKnown;
        this.policy = policy;
    }

    /** A server name split into host (brackets kept) and port (-1 when absent). */
    record HostPort(String host, int port) {
        static HostPort parse(String serverName) {
            int bracket = serverName.lastIndexOf(']');
            int colon = serverName.lastIndexOf(':');
            if (colon > bracket) {
                return new HostPort(serverName.substring(0, colon), Integer.parseInt(serverName.substring(colon + 1)));
            }
            return new HostPort(serverName, -1);
        }

        boolean isIpLiteral() {
            return host.startsWith("[") || NameResolver.isIpLiteral(host);
        }

        /** The host without IPv6 brackets. */
        String bare() {
            return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        }
    }

    /**
     * Where to send requests for {@code serverName}.
     *
     * @throws FederationUnreachableException when the name is invalid, does not resolve, or resolves
     *                                        only to addresses we refuse
     */
    public Destination resolve(String serverName) {
        if (!Identifiers.isServerName(serverName)) {
            throw new FederationUnreachableException(serverName, "'" + serverName + "' is not a valid server name", null);
        }
        try {
            return discover(serverName);
        } catch (UnknownHostException e) {
            throw new FederationUnreachableException(serverName, "cannot resolve " + serverName + ": " + e.getMessage(), e);
        } catch (NameResolver.ServiceNotOffered e) {
            throw new FederationUnreachableException(serverName, serverName + ": " + e.getMessage(), e);
        }
    }

    private Destination discover(String serverName) throws UnknownHostException, NameResolver.ServiceNotOffered {
        HostPort name = HostPort.parse(serverName);
        if (name.isIpLiteral()) {
            int port = name.port() > 0 ? name.port() : DEFAULT_PORT;
            return destination(serverName, name.bare(), serverName,
                    sockets(List.of(NameResolver.literal(name.host())), port), "IP literal");
        }
        if (name.port() > 0) {
            return destination(serverName, name.host(), serverName,
                    sockets(names.addresses(name.host()), name.port()), "explicit port");
        }
        WellKnownResolver.Delegation delegation = wellKnown.delegation(name.host());
        if (delegation.server().isPresent()) {
            String delegated = delegation.server().get();
            HostPort to = HostPort.parse(delegated);
            String via = "well-known m.server " + delegated;
            if (to.isIpLiteral()) {
                int port = to.port() > 0 ? to.port() : DEFAULT_PORT;
                return destination(serverName, to.bare(), delegated,
                        sockets(List.of(NameResolver.literal(to.host())), port), via);
            }
            if (to.port() > 0) {
                return destination(serverName, to.host(), delegated, sockets(names.addresses(to.host()), to.port()), via);
            }
            Destination srv = viaSrv(serverName, to.host(), via + ", ");
            if (srv != null) {
                return srv;
            }
            return destination(serverName, to.host(), to.host(), sockets(names.addresses(to.host()), DEFAULT_PORT),
                    via + ", no SRV, port " + DEFAULT_PORT);
        }
        String why = "no well-known (" + delegation.problem() + "), ";
        Destination srv = viaSrv(serverName, name.host(), why);
        if (srv != null) {
            return srv;
        }
        return destination(serverName, name.host(), name.host(), sockets(names.addresses(name.host()), DEFAULT_PORT),
                why + "no SRV, port " + DEFAULT_PORT);
    }

    /** SRV for a host name; null when it has no SRV records. The TLS name and Host stay {@code host}. */
    private Destination viaSrv(String serverName, String host, String via)
            throws UnknownHostException, NameResolver.ServiceNotOffered {
        for (String service : SRV_SERVICES) {
            List<SrvTarget> targets = names.srv(service + host);
            if (targets.isEmpty()) {
                continue;
            }
            List<InetSocketAddress> addresses = new ArrayList<>();
            UnknownHostException last = null;
            for (SrvTarget target : targets) {
                try {
                    addresses.addAll(sockets(names.addresses(target.host()), target.port()));
                } catch (UnknownHostException e) {
                    last = e;
                }
            }
            if (addresses.isEmpty()) {
                throw last != null ? last : new UnknownHostException("SRV " + service + host + " targets do not resolve");
            }
            return destination(serverName, host, host, addresses, via + "SRV " + service + host + " -> " + targets);
        }
        return null;
    }

    private static List<InetSocketAddress> sockets(List<InetAddress> addresses, int port) {
        return addresses.stream().map(a -> new InetSocketAddress(a, port)).toList();
    }

    private Destination destination(String serverName, String tlsName, String hostHeader,
                                    List<InetSocketAddress> addresses, String via) throws UnknownHostException {
        List<InetSocketAddress> allowed = addresses.stream().filter(a -> policy.permits(a.getAddress())).toList();
        if (allowed.isEmpty()) {
            throw new UnknownHostException("refusing to connect to " + tlsName + " at " + addresses.stream()
                    .map(a -> a.getAddress().getHostAddress()).toList() + ": not public addresses "
                    + "(vestibule.federation.allow-private-addresses is false)");
        }
        return new Destination(serverName, tlsName, hostHeader, allowed, via);
    }
}
