package org.vestibule.federation.outbound;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vestibule.config.ServerVersion;
import org.vestibule.config.TlsCipherSuites;
import org.vestibule.federation.FederationProperties;

/**
 * The one pooled Apache HttpClient 5 behind all outbound federation traffic. A request either
 * names the address to connect to in its {@link HttpHost} (discovery already chose it) or lets the
 * client resolve the URI's host through {@link FederationDnsResolver}; either way TLS SNI and the
 * certificate check follow the host name in the URI.
 */
final class FederationHttp implements AutoCloseable {

    /** A whole response; header names are lower case, first value kept. */
    record Result(int status, byte[] body, Map<String, String> headers) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** The response body exceeded what we are willing to read. */
    static final class ResponseTooLargeException extends IOException {
        ResponseTooLargeException(String message) {
            super(message);
        }
    }

    /** The whole request took longer than the request timeout and was cancelled. */
    static final class RequestTimeoutException extends InterruptedIOException {
        RequestTimeoutException(String message) {
            super(message);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(FederationHttp.class);

    private final CloseableHttpClient client;
    private final PoolingHttpClientConnectionManager connections;
    private final ScheduledExecutorService deadlines;
    private final Duration requestTimeout;
    private final Duration connectTimeout;

    FederationHttp(FederationProperties properties, NameResolver names, AddressPolicy policy) {
        this.requestTimeout = properties.requestTimeout();
        this.connectTimeout = properties.connectTimeout();
        ClientTlsStrategyBuilder tls = ClientTlsStrategyBuilder.create().setCiphers(TlsCipherSuites.preferred());
        if (properties.tls().verify()) {
            tls.setSslContext(TlsTrust.verifying(properties.tls().trustedCa()));
        } else {
            log.warn("vestibule.federation.tls.verify=false: peers' certificates are NOT checked. Use this on test "
                    + "networks only.");
            SSLContext all = TlsTrust.trustingEverything();
            tls.setSslContext(all).setHostVerificationPolicy(HostnameVerificationPolicy.CLIENT)
                    .setHostnameVerifier(NoopHostnameVerifier.INSTANCE);
        }
        if (properties.allowPrivateAddresses()) {
            log.warn("vestibule.federation.allow-private-addresses=true: peers can make us connect to loopback and "
                    + "private addresses. Use this on test networks only.");
        }
        Timeout connect = Timeout.of(connectTimeout);
        this.connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setTlsSocketStrategy(tls.buildClassic())
                .setDnsResolver(new FederationDnsResolver(names, policy))
                .setMaxConnTotal(200)
                .setMaxConnPerRoute(10)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(connect)
                        .setSocketTimeout(Timeout.of(requestTimeout))
                        .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                        .setTimeToLive(TimeValue.ofMinutes(10))
                        .build())
                .setDefaultTlsConfig(TlsConfig.custom().setHandshakeTimeout(connect).build())
                .build();
        this.client = HttpClients.custom()
                .setConnectionManager(connections)
                .setUserAgent(ServerVersion.NAME + "/" + ServerVersion.version())
                .disableCookieManagement()
                .disableAuthCaching()
                .disableAutomaticRetries()
                .evictIdleConnections(TimeValue.ofMinutes(1))
                .build();
        this.deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "federation-request-deadlines");
            t.setDaemon(true);
            return t;
        });
    }

    /** Reads a response as it arrives: status, headers (names in lower case, first value kept) and body. */
    @FunctionalInterface
    interface ResponseReader<T> {
        T read(int status, Map<String, String> headers, HttpEntity entity) throws IOException;
    }

    /**
     * Sends one request and reads the whole response.
     *
     * @param target  where to connect (address and TLS name), or null to resolve the URI's host
     * @param body    JSON to send, or null
     * @param maxBytes the largest response body to read
     */
    Result execute(HttpHost target, String method, URI uri, Map<String, String> headers, byte[] body,
                   boolean followRedirects, int maxBytes) throws IOException {
        return execute(target, method, uri, headers, body, followRedirects, maxBytes, null);
    }

    /** {@link #execute} within a shorter time than the request timeout (null: the request timeout). */
    Result execute(HttpHost target, String method, URI uri, Map<String, String> headers, byte[] body,
                   boolean followRedirects, int maxBytes, Duration within) throws IOException {
        return stream(target, method, uri, headers, body, followRedirects, within,
                (status, responseHeaders, entity) -> new Result(status, read(entity, maxBytes), responseHeaders));
    }

    /**
     * Sends one request and hands the response to {@code reader} while the connection is open;
     * the request timeout (or {@code within}, when shorter) covers the reader's reading too.
     */
    <T> T stream(HttpHost target, String method, URI uri, Map<String, String> headers, byte[] body,
                 boolean followRedirects, Duration within, ResponseReader<T> reader) throws IOException {
        Duration timeout = within == null || within.compareTo(requestTimeout) > 0 ? requestTimeout : within;
        HttpUriRequestBase request = new HttpUriRequestBase(method, uri);
        request.setConfig(RequestConfig.custom()
                .setConnectionRequestTimeout(Timeout.of(connectTimeout))
                .setResponseTimeout(Timeout.of(timeout))
                .setRedirectsEnabled(followRedirects)
                .setMaxRedirects(5)
                .setCircularRedirectsAllowed(false)
                .build());
        headers.forEach(request::setHeader);
        if (body != null) {
            request.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
        }
        ScheduledFuture<?> deadline = deadlines.schedule(() -> {
            request.cancel();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            return client.execute(target, request, HttpClientContext.create(), response -> {
                Map<String, String> responseHeaders = new LinkedHashMap<>();
                for (Header h : response.getHeaders()) {
                    responseHeaders.putIfAbsent(h.getName().toLowerCase(Locale.ROOT), h.getValue());
                }
                return reader.read(response.getCode(), responseHeaders, response.getEntity());
            });
        } catch (IOException e) {
            if (request.isCancelled()) {
                throw new RequestTimeoutException("no complete response within " + timeout.toMillis() + " ms");
            }
            throw e;
        } finally {
            deadline.cancel(false);
        }
    }

    /** The whole body of a response, refusing more than {@code maxBytes}. */
    static byte[] read(HttpEntity entity, int maxBytes) throws IOException {
        try (ResponseMemory.Lease lease = ResponseMemory.UNCOUNTED.lease()) {
            return read(entity, maxBytes, lease);
        }
    }

    private static final int CHUNK = 64 * 1024;

    /**
     * The whole body of a response, refusing more than {@code maxBytes} and more than {@code lease}
     * may hold. A body without a Content-Length is read in chunks, so it takes only what arrived and
     * no buffer grows by doubling; one with it into one array, once its memory is granted.
     */
    static byte[] read(HttpEntity entity, int maxBytes, ResponseMemory.Lease lease) throws IOException {
        if (entity == null) {
            return new byte[0];
        }
        if (entity.getContentLength() > maxBytes) {
            throw new ResponseTooLargeException("the response body of " + entity.getContentLength()
                    + " bytes is over our limit of " + maxBytes);
        }
        long declared = entity.getContentLength(); // the client stops the body at it
        if (declared >= 0) {
            return readDeclared(entity, (int) declared, lease);
        }
        long allowed = (long) maxBytes + 1; // one past the limit shows the excess
        List<byte[]> chunks = new ArrayList<>();
        int total = 0;
        long allocated = 0;
        try (InputStream in = entity.getContent()) {
            while (total < allowed) {
                int size = (int) Math.min(CHUNK, allowed - total);
                if (!lease.holdBytes(allocated + size)) {
                    throw outOfMemory(allocated + size);
                }
                allocated += size;
                byte[] chunk = new byte[size];
                int n = in.readNBytes(chunk, 0, size);
                chunks.add(chunk);
                total += n;
                if (n < size) {
                    break; // the end of the body
                }
            }
        }
        if (total > maxBytes) {
            throw new ResponseTooLargeException("the response body is over our limit of " + maxBytes + " bytes");
        }
        if (chunks.size() == 1 && chunks.get(0).length == total) {
            return chunks.get(0);
        }
        if (!lease.holdBytes(allocated + total)) {
            throw outOfMemory(allocated + total);
        }
        byte[] body = new byte[total];
        int at = 0;
        for (byte[] chunk : chunks) {
            int n = Math.min(chunk.length, total - at);
            System.arraycopy(chunk, 0, body, at, n);
            at += n;
        }
        lease.holdBytes(total);
        return body;
    }

    /** A body of a declared length: its memory taken before a byte is read, and read into one array. */
    private static byte[] readDeclared(HttpEntity entity, int length, ResponseMemory.Lease lease) throws IOException {
        if (!lease.holdBytes(length)) {
            throw outOfMemory(length);
        }
        byte[] body = new byte[length];
        try (InputStream in = entity.getContent()) {
            int n = in.readNBytes(body, 0, length);
            if (n < length) {
                throw new IOException("the response body ended after " + n + " of its " + length + " bytes");
            }
        }
        return body;
    }

    private static ResponseTooLargeException outOfMemory(long bytes) {
        return new ResponseTooLargeException("holding " + bytes + " bytes of the response body would take more than"
                + " the memory free for peers' answers now (vestibule.federation.response-memory)");
    }

    /** A stream that fails with {@link ResponseTooLargeException} once more than {@code maxBytes} came through it. */
    static InputStream limited(InputStream in, long maxBytes) {
        return new FilterInputStream(in) {
            private long count;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    counted(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    counted(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long skipped = super.skip(n);
                counted(skipped);
                return skipped;
            }

            private void counted(long n) throws ResponseTooLargeException {
                count += n;
                if (count > maxBytes) {
                    throw new ResponseTooLargeException("the media is over our limit of " + maxBytes + " bytes");
                }
            }
        };
    }

    /** Up to {@code maxBytes} of a body, the rest left unread: for error answers, whose size we do not hold against them. */
    static byte[] readAtMost(HttpEntity entity, int maxBytes) throws IOException {
        if (entity == null) {
            return new byte[0];
        }
        try (InputStream in = entity.getContent()) {
            return in.readNBytes(maxBytes);
        }
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
        client.close(CloseMode.GRACEFUL);
        connections.close(CloseMode.IMMEDIATE);
    }
}
