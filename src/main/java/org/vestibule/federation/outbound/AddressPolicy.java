package org.vestibule.federation.outbound;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Which addresses we may connect to. Peers choose the names we resolve, so without this a
 * remote server could point us at our own loopback or internal network.
 */
final class AddressPolicy {

    private final boolean allowPrivate;

    AddressPolicy(boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    boolean allowsPrivate() {
        return allowPrivate;
    }

    boolean permits(InetAddress address) {
        return allowPrivate || !isNonPublic(address);
    }

    List<InetAddress> filter(List<InetAddress> addresses) {
        return addresses.stream().filter(this::permits).toList();
    }

    /**
     * Loopback, link-local, RFC 1918 private, shared (RFC 6598), unspecified ("this network"),
     * broadcast and multicast IPv4; loopback, unspecified, link-local, site-local, unique-local
     * (fc00::/7) and multicast IPv6.
     */
    static boolean isNonPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xFF;
            int second = b[1] & 0xFF;
            return first == 0                                     // 0.0.0.0/8
                    || (first == 100 && (second & 0xC0) == 64)    // 100.64.0.0/10
                    || (first == 255 && (b[1] & b[2] & b[3] & 0xFF) == 0xFF); // broadcast
        }
        if (address instanceof Inet6Address) {
            return (b[0] & 0xFE) == 0xFC; // fc00::/7
        }
        return false;
    }
}
