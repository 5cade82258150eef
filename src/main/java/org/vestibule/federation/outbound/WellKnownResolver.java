package org.vestibule.federation.outbound;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vestibule.event.Identifiers;
import org.vestibule.event.MalformedJsonException;
import org.vestibule.event.StrictJsonParser;

/**
 * {@code GET https://<hostname>/.well-known/matrix/server} (spec server-server §Resolving server
 * names, step 3) with its cache: valid answers for their Cache-Control max-age (24 hours when
 * absent, between 5 minutes and 48 hours), failures for 5 minutes doubling up to an hour.
 */
class WellKnownResolver {

    static final Duration DEFAULT_CACHE = Duration.ofHours(24);
    static final Duration MIN_CACHE = Duration.ofMinutes(5);
    static final Duration MAX_CACHE = Duration.ofHours(48);
    static final Duration FIRST_ERROR_CACHE = Duration.ofMinutes(5);
    static final Duration MAX_ERROR_CACHE = Duration.ofHours(1);
    static final int MAX_BYTES = 50 * 1024;

    private static final Logger log = LoggerFactory.getLogger(WellKnownResolver.class);
    private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age\\s*=\\s*\"?(\\d+)\"?");

    /** What we know about a host's delegation, until {@code expiresAt}. */
    private record Entry(Optional<String> server, long expiresAt, int failures, String problem) {}

    private final FederationHttp http;
    private final Clock clock;
    private final int port;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    WellKnownResolver(FederationHttp http, Clock clock, int port) {
        this.http = http;
        this.clock = clock;
        this.port = port;
    }

    /** A host's delegation: the {@code m.server} it names, or empty and why not. */
    record Delegation(Optional<String> server, String problem) {}

    /** The delegated server name ({@code m.server}) of a host, or empty when it has no valid well-known. */
    Delegation delegation(String host) {
        long now = clock.millis();
        Entry entry = cache.get(host);
        if (entry == null || now >= entry.expiresAt()) {
            entry = fetch(host, entry, now);
            if (cache.size() > 10_000) {
                cache.clear(); // bounded: peers choose the names we look up
            }
            cache.put(host, entry);
        }
        return new Delegation(entry.server(), entry.problem());
    }

    private Entry fetch(String host, Entry previous, long now) {
        URI uri = URI.create("https://" + host + (port == 443 ? "" : ":" + port) + "/.well-known/matrix/server");
        int failures = previous == null || previous.failures() == 0 ? 1 : previous.failures() + 1;
        long errorCache = Math.min(MAX_ERROR_CACHE.toMillis(), FIRST_ERROR_CACHE.toMillis() << Math.min(failures - 1, 10));
        FederationHttp.Result result;
        try {
            result = http.execute(null, "GET", uri, Map.of(), null, true, MAX_BYTES);
        } catch (IOException e) {
            // A server we reached before that is briefly down keeps its delegation until the retry.
            Optional<String> keep = previous != null ? previous.server() : Optional.empty();
            log.debug("No well-known for {}: {}", host, e.toString());
            return new Entry(keep, now + errorCache, failures, "fetching " + uri + " failed: " + e.getMessage());
        }
        Optional<String> server = parse(result);
        if (server.isEmpty()) {
            log.debug("No valid well-known for {}: HTTP {}", host, result.status());
            return new Entry(Optional.empty(), now + errorCache, failures, uri + " answered no valid m.server");
        }
        return new Entry(server, now + cacheMillis(result.header("Cache-Control")), 0, null);
    }

    static Optional<String> parse(FederationHttp.Result result) {
        if (result.status() != 200) {
            return Optional.empty();
        }
        try {
            Object server = StrictJsonParser.parseObject(result.body(), new StrictJsonParser.Limits(MAX_BYTES, 16))
                    .get("m.server");
            return server instanceof String s && Identifiers.isServerName(s) ? Optional.of(s) : Optional.empty();
        } catch (MalformedJsonException e) {
            return Optional.empty();
        }
    }

    static long cacheMillis(String cacheControl) {
        if (cacheControl == null) {
            return DEFAULT_CACHE.toMillis();
        }
        String cc = cacheControl.toLowerCase(Locale.ROOT);
        long millis;
        if (cc.contains("no-store") || cc.contains("no-cache")) {
            millis = 0;
        } else {
            Matcher m = MAX_AGE.matcher(cc);
            if (!m.find()) {
                return DEFAULT_CACHE.toMillis();
            }
            String digits = m.group(1);
            long seconds = digits.length() > 12 ? Long.MAX_VALUE : Long.parseLong(digits);
            millis = seconds > MAX_CACHE.toSeconds() ? MAX_CACHE.toMillis() : seconds * 1000;
        }
        return Math.max(MIN_CACHE.toMillis(), Math.min(MAX_CACHE.toMillis(), millis));
    }
}
