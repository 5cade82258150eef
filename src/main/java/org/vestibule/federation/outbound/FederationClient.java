package org.vestibule.federation.outbound;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.http.HttpEntity;
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
    private final ResponseMemory memory;
    private final ThreadLocal<HeldAnswers> held = new ThreadLocal<>();

    FederationClient(ServerDiscovery discovery, FederationHttp http, String origin, SigningKey signingKey,
                     int maxResponseBytes, ResponseMemory memory) {
        this.discovery = discovery;
        this.http = http;
        this.origin = origin;
        this.signingKey = signingKey;
        this.maxResponseBytes = maxResponseBytes;
        this.memory = memory;
    }

    /**
     * Keeps the answers this thread reads counted in the response memory until closed, for a caller
     * that works on a large answer after it has it (a join checks and stores a room's whole state):
     * other large answers then fail while it works, instead of piling up beside it. Nested, only the
     * outermost gives them back.
     */
    public HeldAnswers holdAnswers() {
        if (held.get() != null) {
            return new HeldAnswers(false);
        }
        HeldAnswers answers = new HeldAnswers(true);
        held.set(answers);
        return answers;
    }

    /** Answers kept counted until {@link #close()}; closed on the thread that opened it. */
    public final class HeldAnswers implements AutoCloseable {

        private final boolean outermost;
        private final List<ResponseMemory.Lease> leases = new ArrayList<>();

        private HeldAnswers(boolean outermost) {
            this.outermost = outermost;
        }

        @Override
        public void close() {
            if (outermost) {
                held.remove();
                leases.forEach(ResponseMemory.Lease::close);
                leases.clear();
            }
        }
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

    /** The media of a peer's answer: its headers and its bytes, to be read once, while the call lasts. */
    public record MediaPart(String contentType, String contentDisposition, InputStream bytes) {}

    /** Takes the media of an answer; it must read the bytes to their end, where a truncated answer fails. */
    @FunctionalInterface
    public interface MediaReceiver<T> {
        T receive(MediaPart part) throws IOException;
    }

    /** What a media answer came to, before the receiver's result leaves the connection. */
    private sealed interface MediaAnswer<T> {
        record Received<T>(T value) implements MediaAnswer<T> {}

        record Redirect<T>(URI location) implements MediaAnswer<T> {}

        record Failed<T>(int status, byte[] body) implements MediaAnswer<T> {}
    }

    /** The most of an error answer we read: its errcode and message, not the peer's idea of a page. */
    static final int MAX_ERROR_BODY = 64 * 1024;
    static final int MAX_MEDIA_JSON_PART = 64 * 1024;
    static final int MAX_MEDIA_REDIRECTS = 5;

    /**
     * A signed GET of a federation media endpoint ({@code /_matrix/federation/v1/media/download/…}
     * or {@code …/thumbnail/…}, spec server-server §Content Repository). The answer is
     * multipart/mixed: a JSON object, then the media, whose bytes go to {@code receiver}, or a
     * {@code Location} to fetch them from, unsigned and over https only, following up to
     * {@value #MAX_MEDIA_REDIRECTS} redirects, every address checked by our policy. Reading more
     * than {@code maxBytes} of media fails with {@link FederationResponseTooLargeException}.
     */
    public <T> T downloadMedia(String destination, String pathAndQuery, long maxBytes, MediaReceiver<T> receiver) {
        String request = "GET " + pathAndQuery;
        MediaAnswer<T> answer = exchange("GET", destination, pathAndQuery, signedHeaders(destination, pathAndQuery),
                null, null, (status, headers, entity) -> {
                    if (status < 200 || status >= 300) {
                        return new MediaAnswer.Failed<>(status, FederationHttp.readAtMost(entity, MAX_ERROR_BODY));
                    }
                    return multipartMedia(headers, entity, maxBytes, receiver);
                });
        if (answer instanceof MediaAnswer.Received<T> received) {
            return received.value();
        }
        if (answer instanceof MediaAnswer.Failed<T> failed) {
            throw error(destination, request, failed.status(), failed.body());
        }
        return followLocation(destination, ((MediaAnswer.Redirect<T>) answer).location(), maxBytes, receiver);
    }

    /**
     * A signed GET of the deprecated client-API download ({@code /_matrix/media/v3/download/…}),
     * for peers without the federation endpoints: the body is the media.
     */
    public <T> T downloadLegacyMedia(String destination, String pathAndQuery, long maxBytes,
                                     MediaReceiver<T> receiver) {
        String request = "GET " + pathAndQuery;
        MediaAnswer<T> answer = exchange("GET", destination, pathAndQuery, signedHeaders(destination, pathAndQuery),
                null, null, (status, headers, entity) -> plainMedia(status, headers, entity, maxBytes, receiver, null));
        if (answer instanceof MediaAnswer.Received<T> received) {
            return received.value();
        }
        MediaAnswer.Failed<T> failed = (MediaAnswer.Failed<T>) answer;
        throw error(destination, request, failed.status(), failed.body());
    }

    private Map<String, String> signedHeaders(String destination, String pathAndQuery) {
        requirePath(pathAndQuery);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", XMatrix.sign(signingKey, "GET", pathAndQuery, origin, destination, null));
        return headers;
    }

    private static <T> MediaAnswer<T> multipartMedia(Map<String, String> headers, HttpEntity entity, long maxBytes,
                                                     MediaReceiver<T> receiver) throws IOException {
        String contentType = headers.get("content-type");
        String boundary = MultipartMixedReader.boundary(contentType);
        if (boundary == null || entity == null) {
            throw new MultipartMixedReader.MalformedMultipartException("the answer is " + contentType
                    + ", not multipart/mixed with a boundary");
        }
        if (entity.getContentLength() > maxBytes + 2L * MAX_MEDIA_JSON_PART) {
            throw new FederationHttp.ResponseTooLargeException("the answer of " + entity.getContentLength()
                    + " bytes is over our media limit of " + maxBytes);
        }
        try (InputStream in = entity.getContent()) {
            MultipartMixedReader parts = new MultipartMixedReader(in, boundary);
            Map<String, String> first = parts.nextPart();
            if (first == null || !isJson(first.get("content-type"))) {
                throw new MultipartMixedReader.MalformedMultipartException("the first part is "
                        + (first == null ? "missing" : first.get("content-type")) + ", not application/json");
            }
            try {
                StrictJsonParser.parseObject(parts.readBody(MAX_MEDIA_JSON_PART),
                        new StrictJsonParser.Limits(MAX_MEDIA_JSON_PART, 32));
            } catch (MalformedJsonException e) {
                throw new MultipartMixedReader.MalformedMultipartException("the first part is not a JSON object: "
                        + e.getMessage());
            }
            Map<String, String> media = parts.nextPart();
            if (media == null) {
                throw new MultipartMixedReader.MalformedMultipartException("there is no media part after the JSON");
            }
            String location = media.get("location");
            if (location != null) {
                return new MediaAnswer.Redirect<>(locationUri(location, null));
            }
            return new MediaAnswer.Received<>(receiver.receive(new MediaPart(media.get("content-type"),
                    media.get("content-disposition"), FederationHttp.limited(parts.body(), maxBytes))));
        }
    }

    /** An unsigned answer whose body is the media; a redirect is handed back when {@code from} is its base. */
    private static <T> MediaAnswer<T> plainMedia(int status, Map<String, String> headers, HttpEntity entity,
                                                 long maxBytes, MediaReceiver<T> receiver, URI from) throws IOException {
        if (from != null && status >= 300 && status < 400 && status != 304 && headers.get("location") != null) {
            return new MediaAnswer.Redirect<>(locationUri(headers.get("location"), from));
        }
        if (status < 200 || status >= 300) {
            return new MediaAnswer.Failed<>(status, FederationHttp.readAtMost(entity, MAX_ERROR_BODY));
        }
        if (entity != null && entity.getContentLength() > maxBytes) {
            throw new FederationHttp.ResponseTooLargeException("the media of " + entity.getContentLength()
                    + " bytes is over our limit of " + maxBytes);
        }
        try (InputStream in = entity == null ? InputStream.nullInputStream() : entity.getContent()) {
            return new MediaAnswer.Received<>(receiver.receive(new MediaPart(headers.get("content-type"),
                    headers.get("content-disposition"), FederationHttp.limited(in, maxBytes))));
        }
    }

    /** MSC3916's Location: fetched as it is, without our signature, which is for the peer alone. */
    private <T> T followLocation(String destination, URI location, long maxBytes, MediaReceiver<T> receiver) {
        URI uri = location;
        for (int hop = 0; hop <= MAX_MEDIA_REDIRECTS; hop++) {
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new FederationUnreachableException(destination, destination + " pointed us at " + uri
                        + " for its media; we only fetch https URLs", null);
            }
            URI from = uri;
            MediaAnswer<T> answer;
            try {
                answer = http.stream(null, "GET", uri, new LinkedHashMap<>(), null, false, null,
                        (status, headers, entity) -> plainMedia(status, headers, entity, maxBytes, receiver, from));
            } catch (IOException e) {
                String message = "GET " + uri + " (media of " + destination + ") failed: " + describe(e);
                if (e instanceof FederationHttp.ResponseTooLargeException) {
                    throw new FederationResponseTooLargeException(destination, message, e);
                }
                throw new FederationUnreachableException(destination, message, e);
            }
            if (answer instanceof MediaAnswer.Received<T> received) {
                return received.value();
            }
            if (answer instanceof MediaAnswer.Failed<T> failed) {
                throw error(destination, "GET " + uri, failed.status(), failed.body());
            }
            uri = ((MediaAnswer.Redirect<T>) answer).location();
        }
        throw new FederationUnreachableException(destination, "the media of " + destination + " redirected more than "
                + MAX_MEDIA_REDIRECTS + " times", null);
    }

    private static URI locationUri(String location, URI base) throws IOException {
        try {
            URI uri = new URI(location.trim());
            return base == null ? uri : base.resolve(uri);
        } catch (URISyntaxException e) {
            throw new MultipartMixedReader.MalformedMultipartException("the Location '" + location + "' is not a URL");
        }
    }

    private static boolean isJson(String contentType) {
        return contentType != null && contentType.split(";", 2)[0].trim().equalsIgnoreCase("application/json");
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
        // The answer's bytes and values count until the caller has them, or longer when it holds answers.
        ResponseMemory.Lease lease = memory.lease();
        HeldAnswers answers = held.get();
        boolean kept = false;
        try {
            FederationHttp.Result result = exchange(method, destination, pathAndQuery, headers, body, within,
                    (status, responseHeaders, entity) -> new FederationHttp.Result(status, status >= 200 && status < 300
                            ? FederationHttp.read(entity, maxBytes, lease)
                            : FederationHttp.readAtMost(entity, MAX_ERROR_BODY), responseHeaders));
            FederationResponse response = interpret(destination, method + " " + pathAndQuery, result, maxBytes, lease);
            if (answers != null) {
                lease.dropBytes(); // the caller keeps the values; the bytes go with this call's result
                answers.leases.add(lease);
                kept = true;
            }
            return response;
        } finally {
            if (!kept) {
                lease.close();
            }
        }
    }

    /**
     * Sends a request to the addresses discovery found, in turn, and hands the first response to
     * {@code reader}; {@code within} shortens the request timeout (null: the request timeout).
     */
    private <T> T exchange(String method, String destination, String pathAndQuery, Map<String, String> headers,
                           byte[] body, Duration within, FederationHttp.ResponseReader<T> reader) {
        Destination to = discovery.resolve(destination);
        headers.put("Host", to.hostHeader());
        String request = method + " " + pathAndQuery;
        IOException failure = null;
        List<InetSocketAddress> addresses = to.addresses();
        for (int i = 0; i < addresses.size(); i++) {
            InetSocketAddress address = addresses.get(i);
            HttpHost target = new HttpHost("https", address.getAddress(), to.tlsName(), address.getPort());
            URI uri = URI.create("https://" + to.authority(address.getPort()) + pathAndQuery);
            try {
                return executeOnce(target, method, uri, headers, body, within, reader);
            } catch (IOException e) {
                failure = e;
                if (!isConnectFailure(e)) {
                    break; // the request may have been received: do not send it again elsewhere
                }
                log.debug("{} to {} at {} failed to connect, {} more addresses: {}", request, destination, address,
                        addresses.size() - i - 1, e.toString());
            }
        }
        String message = request + " to " + destination + " (" + to.via() + ") failed: " + describe(failure);
        if (failure instanceof FederationHttp.ResponseTooLargeException) {
            throw new FederationResponseTooLargeException(destination, message, failure);
        }
        throw new FederationUnreachableException(destination, message, failure);
    }

    /**
     * One request; a pooled connection the peer closed meanwhile (it restarted) answers nothing at
     * all, and then the request goes once more on a new connection. Every federation request may be
     * repeated: transactions by ID, events by event ID, and the rest are reads.
     */
    private <T> T executeOnce(HttpHost target, String method, URI uri, Map<String, String> headers, byte[] body,
                              Duration within, FederationHttp.ResponseReader<T> reader) throws IOException {
        try {
            return http.stream(target, method, uri, headers, body, false, within, reader);
        } catch (NoHttpResponseException e) {
            log.debug("{} {} got no response on a pooled connection; sending it again", method, uri);
            return http.stream(target, method, uri, headers, body, false, within, reader);
        }
    }

    private static FederationResponse interpret(String destination, String request, FederationHttp.Result result,
                                                int maxBytes, ResponseMemory.Lease lease) {
        StrictJsonParser.Limits limits = new StrictJsonParser.Limits(maxBytes, StrictJsonParser.Limits.RESPONSE.maxDepth());
        if (result.status() >= 200 && result.status() < 300) {
            try {
                return new FederationResponse(destination, result.status(), result.body(),
                        StrictJsonParser.parse(result.body(), limits, lease::holdValues));
            } catch (MalformedJsonException e) {
                String answered = request + " to " + destination + " answered " + result.status();
                if (e.tooLarge()) {
                    throw new FederationResponseTooLargeException(destination, answered + " with a body too large to"
                            + " parse here: " + e.getMessage() + " (vestibule.federation.response-memory)", e);
                }
                throw new FederationUnreachableException(destination, answered + " with a body that is not acceptable"
                        + " JSON: " + e.getMessage(), e);
            }
        }
        throw error(destination, request, result.status(), result.body());
    }

    /** A non-2xx answer as the exception callers see, with its Matrix error when the body is one. */
    private static FederationErrorResponseException error(String destination, String request, int status, byte[] body) {
        Map<String, Object> json = null;
        try {
            if (StrictJsonParser.parse(body, StrictJsonParser.Limits.RESPONSE) instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) map;
                json = m;
            }
        } catch (MalformedJsonException e) {
            // Proxies answer errors in HTML; the status is still what counts.
        }
        String errcode = json == null ? null : Json.string(json, "errcode").orElse(null);
        String error = json == null ? null : Json.string(json, "error").orElse(null);
        return new FederationErrorResponseException(destination, request, status, errcode, error, body, json);
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
        if (e instanceof SSLException ssl) {
            return "TLS failed: " + tlsFailure(ssl);
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** A failed handshake in words a person can act on: the JDK's own text names its classes. */
    private static String tlsFailure(SSLException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertPathBuilderException) {
                // No chain from its certificate to any CA we trust.
                return "its certificate is not from a CA we trust (on a test network, give the network's CA in"
                        + " vestibule.federation.tls.trusted-ca, or turn checks off with vestibule.federation.tls.verify=false)";
            }
        }
        return e.getMessage();
    }
}
