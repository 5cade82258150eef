package org.vestibule.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.SigningKey;

/**
 * A small HTTPS server on 127.0.0.1 that plays a remote homeserver in tests, including one that
 * misbehaves: handlers per path, every request recorded (raw URI, headers, SNI, body). Its
 * certificate comes from the test CA; its server name is {@code localhost:<port>} unless the test
 * gives it DNS names of its own.
 */
public final class FakeFederationServer implements AutoCloseable {

    /** A request as received. Header names are lower case. */
    public record Recorded(String method, String uri, String path, Map<String, List<String>> headers, String sni,
                           byte[] body) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /** What to answer. */
    public record Reply(int status, Map<String, String> headers, byte[] body) {
        public static Reply json(int status, Object json) {
            return new Reply(status, Map.of("Content-Type", "application/json"), CanonicalJson.encode(json));
        }

        public static Reply raw(int status, String contentType, String body) {
            return new Reply(status, Map.of("Content-Type", contentType), body.getBytes(StandardCharsets.UTF_8));
        }

        public Reply withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Reply(status, h, body);
        }
    }

    @FunctionalInterface
    public interface Handler {
        Reply handle(Recorded request) throws Exception;
    }

    private final HttpsServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-federation-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final Map<String, Handler> prefixHandlers = new ConcurrentHashMap<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final SigningKey signingKey = SigningKey.generate("ed25519:fake");
    private volatile String serverName;

    private FakeFederationServer(String... tlsNames) throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(TestCertificates.serverContext(TestCertificates.issue(tlsNames))));
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
        server.start();
        serverName = "localhost:" + port();
    }

    /** A server with a certificate for {@code localhost} and 127.0.0.1. */
    public static FakeFederationServer start() {
        return start("localhost", "127.0.0.1");
    }

    /** A server with a certificate for these names. */
    public static FakeFederationServer start(String... tlsNames) {
        try {
            return new FakeFederationServer(tlsNames);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The Matrix server name it signs as and serves keys for ({@code localhost:<port>} by default). */
    public String serverName() {
        return serverName;
    }

    public FakeFederationServer serverName(String name) {
        this.serverName = name;
        return this;
    }

    public SigningKey signingKey() {
        return signingKey;
    }

    /** Answers requests for a path (raw, without query) with a handler. */
    public FakeFederationServer on(String path, Handler handler) {
        handlers.put(path, handler);
        return this;
    }

    /** Answers requests for every path starting with a prefix (when no exact path matches). */
    public FakeFederationServer onPrefix(String prefix, Handler handler) {
        prefixHandlers.put(prefix, handler);
        return this;
    }

    /** Serves a correct key document at {@code /_matrix/key/v2/server}, valid for a day from each request. */
    public FakeFederationServer servingKeys() {
        return on("/_matrix/key/v2/server",
                r -> Reply.json(200, keyDocument(System.currentTimeMillis() + 86_400_000L, Map.of())));
    }

    /** A key document for this server signed by its key, with the given old_verify_keys. */
    public Map<String, Object> keyDocument(long validUntilTs, Map<String, Object> oldVerifyKeys) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("server_name", serverName);
        doc.put("valid_until_ts", validUntilTs);
        doc.put("verify_keys", Map.of(signingKey.keyId(), Map.of("key", signingKey.verifyKey().base64())));
        doc.put("old_verify_keys", oldVerifyKeys);
        return JsonSigning.sign(doc, serverName, signingKey);
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    /** How many requests came for a path. */
    public long hits(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).count();
    }

    public void clearRequests() {
        requests.clear();
    }

    private void dispatch(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), new ArrayList<>(v)));
            String uri = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() != null ? "?" + exchange.getRequestURI().getRawQuery() : "");
            Recorded request = new Recorded(exchange.getRequestMethod(), uri, exchange.getRequestURI().getRawPath(),
                    headers, sni(exchange), body);
            requests.add(request);
            Handler handler = handlers.get(request.path());
            if (handler == null) {
                handler = prefixHandlers.entrySet().stream().filter(e -> request.path().startsWith(e.getKey()))
                        .map(Map.Entry::getValue).findFirst().orElse(null);
            }
            Reply reply;
            try {
                reply = handler != null ? handler.handle(request)
                        : Reply.json(404, Map.of("errcode", "M_UNRECOGNIZED", "error", "not served by the fake"));
            } catch (Exception e) {
                reply = Reply.json(500, Map.of("errcode", "M_UNKNOWN", "error", e.toString()));
            }
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
            if (reply.body().length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(reply.body());
                }
            }
        }
    }

    private static String sni(HttpExchange exchange) {
        if (exchange instanceof HttpsExchange https) {
            SSLSession session = https.getSSLSession();
            if (session instanceof ExtendedSSLSession extended) {
                for (SNIServerName name : extended.getRequestedServerNames()) {
                    if (name instanceof SNIHostName host) {
                        return host.getAsciiName();
                    }
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
