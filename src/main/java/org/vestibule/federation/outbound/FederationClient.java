package org.vestibule.federation.outbound;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Json;
import org.vestibule.event.MalformedJsonException;
import org.vestibule.event.SigningKey;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.XMatrix;

/**
 * Requests to other homeservers over HTTPS: discovery picks the address, TLS checks the
 * certificate against the (possibly delegated) host name, requests carry our X-Matrix signature
 * for the original server name, and JSON goes out as canonical JSON and comes back through the
 * strict parser.
 *
 * <p>2xx answers return a {@link FederationResponse}. Anything else throws a
 * {@link FederationException}: {@link FederationErrorResponseException} when the peer answered
 * with an error status, {@link FederationUnreachableException} when there was no usable answer.
 */
public class FederationClient {

    /** The largest key document we read from {@code /_matrix/key/v2/server}. */
    static final int MAX_KEY_RESPONSE_BYTES = 256 * 1024;

    private static final Logger log = LoggerFactory.getLogger(FederationClient.class);

    private final ServerDiscovery discovery;
    private final FederationHttp http;
    private final String origin;
    private final SigningKey signingKey;
    private final int maxResponseBytes;

    FederationClient(ServerDiscovery discovery, FederationHttp http, String origin, SigningKey signingKey,
                     int maxResponseBytes) {
        this.discovery = discovery;
        this.http = http;
        this.origin = origin;
        this.signingKey = signingKey;
        this.maxResponseBytes = maxResponseBytes;
    }

    /** A signed GET. {@code pathAndQuery} is the raw target, e.g. {@code /_matrix/federation/v1/...?a=b}, already percent-encoded. */
    public FederationResponse get(String destination, String pathAndQuery) {
        return send("GET", destination, pathAndQuery, null);
    }

    /**
     * A signed GET that must be answered within {@code within} (at most the request timeout): for
     * reads whose caller has a client waiting, such as backfill for a page of history.
     */
    public FederationResponse get(String destination, String pathAndQuery, Duration within) {
        requirePath(pathAndQuery);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", XMatrix.sign(signingKey, "GET", pathAndQuery, origin, destination, null));
        return exchange("GET", destination, pathAndQuery, headers, null, maxResponseBytes, within);
    }

    /** A signed PUT of a JSON body (maps, lists, strings, integers, booleans, null). */
    public FederationResponse put(String destination, String pathAndQuery, Object body) {
        return send("PUT", destination, pathAndQuery, body);
    }

    /** A signed POST of a JSON body. */
    public FederationResponse post(String destination, String pathAndQuery, Object body) {
        return send("POST", destination, pathAndQuery, body);
    }

    /**
     * A request signed with our key as X-Matrix: origin our server name, destination
     * {@code destination} (the name before any delegation), the body as canonical JSON.
     *
     * @param body the JSON body, or null for none
     */
    public FederationResponse send(String method, String destination, String pathAndQuery, Object body) {
        requirePath(pathAndQuery);
        String authorization = XMatrix.sign(signingKey, method, pathAndQuery, origin, destination, body);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", authorization);
        return exchange(method, destination, pathAndQuery, headers, body == null ? null : CanonicalJson.encode(body),
                maxResponseBytes);
    }

    /**
     * {@code GET /_matrix/key/v2/server} of a server, unsigned (spec §Retrieving server keys).
     * The document is returned as parsed; checking it is the caller's job.
     */
    public Map<String, Object> serverKeys(String serverName) {
        return exchange("GET", serverName, "/_matrix/key/v2/server", new LinkedHashMap<>(), null,
                MAX_KEY_RESPONSE_BYTES).object();
    }

    /**
     * {@code POST /_matrix/key/v2/query} of a notary, unsigned (spec §Querying keys through another
     * server): its cached documents of {@code serverName}'s key {@code keyId}, as parsed.
     */
    public Map<String, Object> notaryKeys(String notary, String serverName, String keyId, long minimumValidUntilTs) {
        Map<String, Object> body = Map.of("server_keys", Map.of(serverName, Map.of(keyId,
                Map.of("minimum_valid_until_ts", minimumValidUntilTs))));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        return exchange("POST", notary, "/_matrix/key/v2/query", headers, CanonicalJson.encode(body),
                MAX_KEY_RESPONSE_BYTES).object();
    }

    /** Percent-encodes one path segment (a room ID, event ID, user ID…): everything but RFC 3986 unreserved characters. */
    public static String pathSegment(String value) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
            }
        }
        return out.toString();
    }

    private static void requirePath(String pathAndQuery) {
        if (!pathAndQuery.startsWith("/_matrix/")) {
            throw new IllegalArgumentException("a federation request target starts with /_matrix/, not " + pathAndQuery);
        }
    }

    private FederationResponse exchange(String method, String destination, String pathAndQuery,
                                        Map<String, String> headers, byte[] body, int maxBytes) {
        return exchange(method, destination, pathAndQuery, headers, body, maxBytes, null);
    }

    private FederationResponse exchange(String method, String destination, String pathAndQuery,
                                        Map<String, String> headers, byte[] body, int maxBytes, Duration within) {
        Destination to = discovery.resolve(destination);
        headers.put("Host", to.hostHeader());
        String request = method + " " + pathAndQuery;
        FederationHttp.Result result = null;
        IOException failure = null;
        List<InetSocketAddress> addresses = to.addresses();
        for (int i = 0; i < addresses.size() && result == null; i++) {
            InetSocketAddress address = addresses.get(i);
            HttpHost target = new HttpHost("https", address.getAddress(), to.tlsName(), address.getPort());
            URI uri = URI.create("https://" + to.authority(address.getPort()) + pathAndQuery);
            try {
                result = executeOnce(target, method, uri, headers, body, maxBytes, within);
            } catch (IOException e) {
                failure = e;
                if (!isConnectFailure(e)) {
                    break; // the request may have been received: do not send it again elsewhere
                }
                log.debug("{} to {} at {} failed to connect, {} more addresses: {}", request, destination, address,
                        addresses.size() - i - 1, e.toString());
            }
        }
        if (result == null) {
            throw new FederationUnreachableException(destination, request + " to " + destination + " (" + to.via()
                    + ") failed: " + describe(failure), failure);
        }
        return interpret(destination, request, result, maxBytes);
    }

    /**
     * One request; a pooled connection the peer closed meanwhile (it restarted) answers nothing at
     * all, and then the request goes once more on a new connection. Every federation request may be
     * repeated: transactions by ID, events by event ID, and the rest are reads.
     */
    private FederationHttp.Result executeOnce(HttpHost target, String method, URI uri, Map<String, String> headers,
                                              byte[] body, int maxBytes, Duration within) throws IOException {
        try {
            return http.execute(target, method, uri, headers, body, false, maxBytes, within);
        } catch (NoHttpResponseException e) {
            log.debug("{} {} got no response on a pooled connection; sending it again", method, uri);
            return http.execute(target, method, uri, headers, body, false, maxBytes, within);
        }
    }

    private static FederationResponse interpret(String destination, String request, FederationHttp.Result result,
                                                int maxBytes) {
        StrictJsonParser.Limits limits = new StrictJsonParser.Limits(maxBytes, StrictJsonParser.Limits.RESPONSE.maxDepth());
        if (result.status() >= 200 && result.status() < 300) {
            try {
                return new FederationResponse(destination, result.status(), result.body(),
                        StrictJsonParser.parse(result.body(), limits));
            } catch (MalformedJsonException e) {
                throw new FederationUnreachableException(destination, request + " to " + destination + " answered "
                        + result.status() + " with a body that is not acceptable JSON: " + e.getMessage(), e);
            }
        }
        Map<String, Object> json = null;
        try {
            if (StrictJsonParser.parse(result.body(), limits) instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) map;
                json = m;
            }
        } catch (MalformedJsonException e) {
            // Proxies answer errors in HTML; the status is still what counts.
        }
        String errcode = json == null ? null : Json.string(json, "errcode").orElse(null);
        String error = json == null ? null : Json.string(json, "error").orElse(null);
        throw new FederationErrorResponseException(destination, request, result.status(), errcode, error, result.body(),
                json);
    }

    private static boolean isConnectFailure(IOException e) {
        return e instanceof ConnectException || e instanceof ConnectTimeoutException || e instanceof NoRouteToHostException
                || e instanceof UnknownHostException || e instanceof SSLException;
    }

    private static String describe(IOException e) {
        if (e instanceof FederationHttp.RequestTimeoutException || (e instanceof InterruptedIOException
                && !(e instanceof ConnectTimeoutException))) {
            return "timed out (" + e.getMessage() + ")";
        }
        if (e instanceof SSLException) {
            return "TLS failed: " + e.getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
