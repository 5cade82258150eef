package org.vestibule.federation.outbound;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * DNS for server discovery. SRV records always come from dnsjava (the JDK has no SRV lookups);
 * addresses come from dnsjava too when a DNS server is configured (so tests can use a fake one),
 * otherwise from the JDK's resolver, which honours /etc/hosts and the system's configuration.
 */
class NameResolver {

    /** One SRV target, in the order to try it. */
    record SrvTarget(String host, int port) {}

    /** The SRV answer was a single "." target: the domain says the service is not offered. */
    static final class ServiceNotOffered extends Exception {
        ServiceNotOffered(String name) {
            super("SRV " + name + " says the service is not available there", null, false, false);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(NameResolver.class);
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Resolver dns;
    private final boolean dnsForAddresses;
    // Our own cache, so that the JVM-wide default one does not mix answers from different servers.
    private final Cache cache = new Cache(DClass.IN);

    NameResolver(String dnsServer, Duration timeout) {
        if (dnsServer == null) {
            this.dns = Lookup.getDefaultResolver();
            this.dnsForAddresses = false;
        } else {
            SimpleResolver resolver = new SimpleResolver(parseServer(dnsServer));
            resolver.setTimeout(timeout);
            this.dns = resolver;
            this.dnsForAddresses = true;
        }
    }

    static InetSocketAddress parseServer(String hostPort) {
        String host = hostPort;
        int port = 53;
        int bracket = hostPort.lastIndexOf(']');
        int colon = hostPort.lastIndexOf(':');
        if (colon > bracket && (bracket >= 0 || hostPort.indexOf(':') == colon)) {
            host = hostPort.substring(0, colon);
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("vestibule.federation.dns-server must be host[:port], not " + hostPort);
            }
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, port);
    }

    /** Whether a host (without port; IPv6 with or without brackets) is an IP literal. */
    static boolean isIpLiteral(String host) {
        return IPV4.matcher(host).matches() || host.contains(":");
    }

    /** The address of an IP literal, without any DNS lookup. */
    static InetAddress literal(String host) throws UnknownHostException {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (!isIpLiteral(h)) {
            throw new UnknownHostException(host + " is not an IP literal");
        }
        return InetAddress.getByName(h); // a literal: parsed, never looked up
    }

    /** The addresses of a host name (CNAMEs followed), IPv4 first. */
    List<InetAddress> addresses(String host) throws UnknownHostException {
        if (isIpLiteral(host) || host.startsWith("[")) {
            return List.of(literal(host));
        }
        if (!dnsForAddresses) {
            return List.of(InetAddress.getAllByName(host));
        }
        List<InetAddress> found = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            for (Record r : lookup(host, type)) {
                if (r instanceof ARecord a) {
                    found.add(a.getAddress());
                } else if (r instanceof AAAARecord aaaa) {
                    found.add(aaaa.getAddress());
                }
            }
        }
        if (found.isEmpty()) {
            throw new UnknownHostException(host + " has no A or AAAA records");
        }
        return found;
    }

    /**
     * The targets of an SRV name such as {@code _matrix-fed._tcp.example.org}, ordered by priority
     * and, within one priority, by a weighted random draw (RFC 2782). Empty when there are none or
     * the lookup failed (discovery then goes on to the next step).
     */
    List<SrvTarget> srv(String name) throws ServiceNotOffered {
        List<SRVRecord> records = new ArrayList<>();
        for (Record r : lookup(name, Type.SRV)) {
            if (r instanceof SRVRecord srv) {
                records.add(srv);
            }
        }
        if (records.size() == 1 && records.get(0).getTarget().equals(Name.root)) {
            throw new ServiceNotOffered(name);
        }
        records.removeIf(r -> r.getTarget().equals(Name.root));
        return order(records, ThreadLocalRandom.current());
    }

    static List<SrvTarget> order(List<SRVRecord> records, Random random) {
        List<SRVRecord> remaining = new ArrayList<>(records);
        remaining.sort(Comparator.comparingInt(SRVRecord::getPriority));
        List<SrvTarget> ordered = new ArrayList<>();
        while (!remaining.isEmpty()) {
            int priority = remaining.get(0).getPriority();
            List<SRVRecord> group = new ArrayList<>(remaining.stream().filter(r -> r.getPriority() == priority).toList());
            remaining.removeAll(group);
            while (!group.isEmpty()) {
                int total = group.stream().mapToInt(SRVRecord::getWeight).sum();
                int pick = total == 0 ? 0 : random.nextInt(total + 1);
                int chosen = 0;
                int running = 0;
                for (int i = 0; i < group.size(); i++) {
                    running += group.get(i).getWeight();
                    if (running >= pick) {
                        chosen = i;
                        break;
                    }
                }
                SRVRecord r = group.remove(chosen);
                String target = r.getTarget().toString(true);
                ordered.add(new SrvTarget(target, r.getPort()));
            }
        }
        return ordered;
    }

    private Record[] lookup(String name, int type) {
        try {
            Lookup lookup = new Lookup(Name.fromString(name, Name.root), type);
            lookup.setResolver(dns);
            lookup.setCache(cache);
            Record[] records = lookup.run();
            if (lookup.getResult() == Lookup.TRY_AGAIN || lookup.getResult() == Lookup.UNRECOVERABLE) {
                log.debug("DNS {} lookup of {} failed: {}", Type.string(type), name, lookup.getErrorString());
            }
            return records == null ? new Record[0] : records;
        } catch (TextParseException e) {
            return new Record[0];
        }
    }
}
