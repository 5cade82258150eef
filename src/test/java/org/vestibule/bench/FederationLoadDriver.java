package org.vestibule.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.client5.http.ssl.TrustAllStrategy;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.ssl.SSLContexts;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.vestibule.config.TlsCertificates;
import org.vestibule.config.TlsCipherSuites;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Json;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.SigningKey;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.XMatrix;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.TestCertificates;
import org.vestibule.support.TestDirectories;

/**
 * Issue 4's and 5's federation load driver: plays a remote homeserver (its own ed25519 key, served
 * over HTTPS on loopback as {@code localhost:<port>}) against a running Vestibule and measures the
 * resident side of joins. Every request is X-Matrix signed per request, as a real peer signs.
 *
 * <p>Phases: make_join on a restricted room, allowed and refused (16 concurrent, fixed duration
 * after a warm-up); send_join of distinct users (make_join, sign, send_join; 4 concurrent); and
 * {@code omit} mode: rooms populated to N members, then send_join of one more user with and
 * without {@code omit_members=true}. Heap used comes from the target's {@code /actuator/prometheus}.
 *
 * <p>Run with {@code bench/federation-load.sh <client-url> <target-server-name> <federation-url>
 * [options]}; see {@code bench/FEDERATION.md}.
 */
public final class FederationLoadDriver {

    // ---------------------------------------------------------------- options

    record Options(String clientUrl, String targetName, String federationUrl, List<String> phases, int warmupSeconds,
                   int durationSeconds, int makeJoinConcurrency, int sendJoinUsers, int sendJoinConcurrency,
                   List<Integer> sizes, int omitJoins, int populateConcurrency, boolean namedRooms, String pgData,
                   String jfrPid, String omitRoom) {

        static Options parse(String[] args) {
            List<String> positional = new ArrayList<>();
            Map<String, String> opts = new LinkedHashMap<>();
            for (String a : args) {
                if (a.startsWith("--")) {
                    int eq = a.indexOf('=');
                    opts.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "true" : a.substring(eq + 1));
                } else {
                    positional.add(a);
                }
            }
            if (positional.size() != 3 || opts.containsKey("help")) {
                System.err.println("""
                        usage: bench/federation-load.sh CLIENT_URL TARGET_SERVER_NAME FEDERATION_URL [options]
                          e.g. http://127.0.0.1:8008 localhost:8448 https://127.0.0.1:8448
                          --phases=make_join,send_join[,omit]   which phases (default make_join,send_join)
                          --warmup=5 --duration=20              seconds, for each make_join phase
                          --concurrency=16                      make_join workers
                          --send-join-users=200 --send-join-concurrency=4
                          --sizes=10,1000,10000                 omit mode: room sizes (members)
                          --omit-joins=7                        omit mode: measured joins per variant
                          --populate-concurrency=4              omit mode: workers filling the rooms
                          --named                               omit mode: give the rooms a name (no heroes)
                          --omit-room=ROOM_ID                   omit mode: measure joins into this existing public
                                                                room instead of creating and filling new ones
                          --pg-data=DIR                         the target's PostgreSQL data folder (embedded:
                                                                <data-dir>/postgres), to report its CPU apart
                          --jfr-pid=PID                         record each phase of the target (a local JVM) with
                                                                JFR, sampling every 1 ms, into /tmp/federation-load-jfr
                        """);
                System.exit(2);
            }
            List<Integer> sizes = new ArrayList<>();
            for (String s : opts.getOrDefault("sizes", "10,1000,10000").split(",")) {
                sizes.add(Integer.parseInt(s.trim()));
            }
            return new Options(strip(positional.get(0)), positional.get(1), strip(positional.get(2)),
                    List.of(opts.getOrDefault("phases", "make_join,send_join").split(",")),
                    Integer.parseInt(opts.getOrDefault("warmup", "5")), Integer.parseInt(opts.getOrDefault("duration", "20")),
                    Integer.parseInt(opts.getOrDefault("concurrency", "16")),
                    Integer.parseInt(opts.getOrDefault("send-join-users", "200")),
                    Integer.parseInt(opts.getOrDefault("send-join-concurrency", "4")), sizes,
                    Integer.parseInt(opts.getOrDefault("omit-joins", "7")),
                    Integer.parseInt(opts.getOrDefault("populate-concurrency", "4")), opts.containsKey("named"),
                    opts.get("pg-data"), opts.get("jfr-pid"), opts.get("omit-room"));
        }

        private static String strip(String url) {
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
    }

    // ---------------------------------------------------------------- our own server: key document and /send

    /** The driver's homeserver identity: an HTTPS server on loopback serving its key document. */
    static final class KeyServer implements AutoCloseable {
        final SigningKey key = SigningKey.generate("ed25519:load");
        final HttpsServer server;
        final String serverName;
        final AtomicInteger keyFetches = new AtomicInteger();
        final AtomicInteger transactions = new AtomicInteger();

        KeyServer() throws IOException {
            Path dir = TestDirectories.create("load-tls-");
            TlsCertificates.Identity identity = TlsCertificates.loadOrCreateSelfSigned(dir, "localhost");
            server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.setHttpsConfigurator(new HttpsConfigurator(TestCertificates.serverContext(identity)));
            server.setExecutor(Executors.newFixedThreadPool(2, daemon("load-key-server")));
            server.createContext("/", this::handle);
            server.start();
            serverName = "localhost:" + server.getAddress().getPort();
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                try (InputStream in = exchange.getRequestBody()) {
                    in.readAllBytes();
                }
                String path = exchange.getRequestURI().getRawPath();
                Object body;
                int status = 200;
                if (path.equals("/_matrix/key/v2/server")) {
                    keyFetches.incrementAndGet();
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("server_name", serverName);
                    doc.put("valid_until_ts", System.currentTimeMillis() + 86_400_000L);
                    doc.put("verify_keys", Map.of(key.keyId(), Map.of("key", key.verifyKey().base64())));
                    doc.put("old_verify_keys", Map.of());
                    body = JsonSigning.sign(doc, serverName, key);
                } else if (path.startsWith("/_matrix/federation/v1/send/")) {
                    transactions.incrementAndGet();
                    body = Map.of("pdus", Map.of());
                } else if (path.equals("/_matrix/federation/v1/version")) {
                    body = Map.of("server", Map.of("name", "vestibule-load-driver", "version", "1"));
                } else {
                    status = 404;
                    body = Map.of("errcode", "M_UNRECOGNIZED", "error", "the load driver does not serve " + path);
                }
                byte[] bytes = CanonicalJson.encode(body);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    // ---------------------------------------------------------------- signed federation requests

    record Resp(int status, byte[] body) {
        Map<String, Object> json() {
            Object v = StrictJsonParser.parse(body, StrictJsonParser.Limits.RESPONSE);
            return v instanceof Map<?, ?> ? Json.object(Map.of("v", v), "v") : Map.of();
        }

        String errcode() {
            try {
                Object e = json().get("errcode");
                return e instanceof String s ? s : null;
            } catch (RuntimeException e) {
                return null;
            }
        }

        String label() {
            if (status == 200) {
                return "200";
            }
            String code = errcode();
            return code == null ? String.valueOf(status) : status + " " + code;
        }
    }

    /** Signs each request with the driver's key and sends it over one pooled, keep-alive HTTP/1.1 client. */
    static final class Federation implements AutoCloseable {
        final String base;
        final String origin;
        final String destination;
        final SigningKey key;
        final CloseableHttpClient client;
        final PoolingHttpClientConnectionManager pool;
        final AtomicLong signNanos = new AtomicLong();
        final AtomicLong signCount = new AtomicLong();

        Federation(String base, String origin, String destination, SigningKey key, int connections) throws Exception {
            this.base = base;
            this.origin = origin;
            this.destination = destination;
            this.key = key;
            SSLContext trustAll = SSLContexts.custom().loadTrustMaterial(TrustAllStrategy.INSTANCE).build();
            ClientTlsStrategyBuilder tls = ClientTlsStrategyBuilder.create().setSslContext(trustAll);
            if (c1Only()) {
                // AES-GCM without C2's intrinsics is slow Java: offer ChaCha20 first, as a Vestibule peer does.
                tls.setCiphers(TlsCipherSuites.preferred());
            }
            pool = PoolingHttpClientConnectionManagerBuilder.create()
                    .setTlsSocketStrategy(tls
                            .setHostVerificationPolicy(HostnameVerificationPolicy.CLIENT)
                            .setHostnameVerifier(NoopHostnameVerifier.INSTANCE).buildClassic())
                    .setMaxConnTotal(connections).setMaxConnPerRoute(connections)
                    .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(10))
                            .setSocketTimeout(Timeout.ofSeconds(300)).setTimeToLive(TimeValue.NEG_ONE_MILLISECOND)
                            .build())
                    .build();
            client = HttpClients.custom().setConnectionManager(pool).disableCookieManagement()
                    .disableAutomaticRetries().disableRedirectHandling()
                    .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofSeconds(300)).build())
                    .build();
        }

        /** Whether this JVM compiles with C1 alone (bench/federation-load.sh runs it so for short phases). */
        static boolean c1Only() {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue()) < 4;
        }

        Resp get(String uri) {
            return send("GET", uri, null, null);
        }

        Resp put(String uri, Map<String, Object> content) {
            return send("PUT", uri, content, CanonicalJson.encode(content));
        }

        Resp send(String method, String uri, Object content, byte[] body) {
            long t = System.nanoTime();
            String authorization = XMatrix.sign(key, method, uri, origin, destination, content);
            signNanos.addAndGet(System.nanoTime() - t);
            signCount.incrementAndGet();
            HttpUriRequestBase request = new HttpUriRequestBase(method, URI.create(base + uri));
            request.setHeader("Authorization", authorization);
            if (body != null) {
                request.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
            }
            try {
                return client.execute(request, r -> new Resp(r.getCode(),
                        r.getEntity() == null ? new byte[0] : EntityUtils.toByteArray(r.getEntity())));
            } catch (IOException e) {
                return new Resp(-1, ("{\"errcode\":\"IO\",\"error\":\"" + e.getClass().getSimpleName() + "\"}")
                        .getBytes(StandardCharsets.UTF_8));
            }
        }

        static String makeJoinUri(String roomId, String userId) {
            StringBuilder q = new StringBuilder();
            for (String v : RoomVersions.ids()) {
                q.append(q.length() == 0 ? "?" : "&").append("ver=").append(v);
            }
            return "/_matrix/federation/v1/make_join/" + FederationClient.pathSegment(roomId) + "/"
                    + FederationClient.pathSegment(userId) + q;
        }

        /** Turns a make_join answer into our signed join event, as a joining server does. */
        Pdu signJoin(Map<String, Object> makeJoinAnswer) {
            RoomVersion version = RoomVersions.byId((String) makeJoinAnswer.get("room_version")).orElseThrow();
            Map<String, Object> event = Json.mutableCopy(Json.object(makeJoinAnswer, "event"));
            event.remove("origin");
            event.put("origin_server_ts", System.currentTimeMillis());
            return Pdu.fromJson(EventSigning.hashAndSign(event, version, origin, key), version);
        }

        static String sendJoinUri(Pdu event, boolean omitMembers) {
            return "/_matrix/federation/v2/send_join/" + FederationClient.pathSegment(event.roomId()) + "/"
                    + FederationClient.pathSegment(event.eventId()) + (omitMembers ? "?omit_members=true" : "");
        }

        @Override
        public void close() throws IOException {
            client.close();
        }
    }

    /** One join as a joining server does it, with its timings. */
    record Join(Resp makeJoin, Resp sendJoin, long makeJoinNanos, long signNanos, long sendJoinNanos) {
        boolean ok() {
            return sendJoin != null && sendJoin.status() == 200;
        }

        Resp last() {
            return sendJoin != null ? sendJoin : makeJoin;
        }
    }

    static Join join(Federation fed, String roomId, String userId, boolean omitMembers) {
        long t0 = System.nanoTime();
        Resp made = fed.get(Federation.makeJoinUri(roomId, userId));
        long t1 = System.nanoTime();
        if (made.status() != 200) {
            return new Join(made, null, t1 - t0, 0, 0);
        }
        Pdu event = fed.signJoin(made.json());
        long t2 = System.nanoTime();
        Resp sent = fed.put(Federation.sendJoinUri(event, omitMembers), event.json());
        long t3 = System.nanoTime();
        return new Join(made, sent, t1 - t0, t2 - t1, t3 - t2);
    }

    // ---------------------------------------------------------------- measurements

    /** Latencies (ns) and outcomes of one worker; merged after a phase. */
    static final class Recorder {
        long[] nanos = new long[4096];
        int n;
        final Map<String, Integer> outcomes = new TreeMap<>();

        void record(long latency, String outcome) {
            if (n == nanos.length) {
                nanos = Arrays.copyOf(nanos, n * 2);
            }
            nanos[n++] = latency;
            outcomes.merge(outcome, 1, Integer::sum);
        }

        static Recorder merge(List<Recorder> parts) {
            Recorder all = new Recorder();
            for (Recorder r : parts) {
                for (int i = 0; i < r.n; i++) {
                    all.record(r.nanos[i], "x");
                }
                r.outcomes.forEach((k, v) -> all.outcomes.merge(k, v, Integer::sum));
            }
            all.outcomes.remove("x");
            Arrays.sort(all.nanos, 0, all.n);
            return all;
        }

        double pct(double q) {
            if (n == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(q * n) - 1;
            return nanos[Math.max(0, Math.min(n - 1, i))] / 1e6;
        }
    }

    /** What the target and this machine did during a phase. */
    static final class Probe {
        final URI metrics;
        final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).build();

        Probe(String clientUrl) {
            this.metrics = URI.create(clientUrl + "/actuator/prometheus");
        }

        /** heap used (bytes), target process CPU seconds, GC pause seconds; NaN when not exposed. */
        double[] target() {
            double heap = 0;
            double cpu = Double.NaN;
            double gc = 0;
            try {
                String text = http.send(HttpRequest.newBuilder(metrics).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (String line : text.split("\n")) {
                    if (line.startsWith("#")) {
                        continue;
                    }
                    if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                        heap += value(line);
                    } else if (line.startsWith("process_cpu_time_ns_total")) {
                        cpu = value(line) / 1e9;
                    } else if (line.startsWith("jvm_gc_pause_seconds_sum")) {
                        gc += value(line);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return new double[] {Double.NaN, Double.NaN, Double.NaN};
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new double[] {Double.NaN, Double.NaN, Double.NaN};
            }
            return new double[] {heap, cpu, gc};
        }

        /**
         * The target's vestibule_rate_limits_enabled gauge: "off" (what the figures assume:
         * bench/federation-target.sh sets vestibule.rate-limits.enabled=false), "ON", or unknown.
         */
        String rateLimits() {
            try {
                String text = http.send(HttpRequest.newBuilder(metrics).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (String line : text.split("\n")) {
                    if (line.startsWith("vestibule_rate_limits_enabled")) {
                        return value(line) == 0 ? "off (vestibule.rate-limits.enabled=false)"
                                : "ON: origins past rc_federation's limits are delayed or refused with 429, "
                                        + "so these figures measure the limits; start the target with "
                                        + "vestibule.rate-limits.enabled=false";
                    }
                }
                return "unknown (the target has no vestibule_rate_limits_enabled gauge)";
            } catch (IOException | RuntimeException e) {
                return "unknown (" + e + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        }

        private static double value(String line) {
            return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }

        /** busy and total jiffies of the whole machine. */
        static long[] machine() {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length && i <= 8; i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                return new long[] {total - idle, total};
            } catch (IOException | RuntimeException e) {
                return new long[] {0, 0};
            }
        }

        /** CPU seconds of the PostgreSQL cluster serving {@code dataDir} (postmaster and its children). */
        static double postgresCpuSeconds(String dataDir) {
            if (dataDir == null) {
                return Double.NaN;
            }
            try (var procs = Files.list(Path.of("/proc"))) {
                List<long[]> stats = new ArrayList<>();
                Long postmaster = null;
                for (Path p : (Iterable<Path>) procs::iterator) {
                    String name = p.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        String stat = Files.readString(p.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        // f[1] = ppid, f[11] = utime, f[12] = stime (clock ticks)
                        stats.add(new long[] {Long.parseLong(name), Long.parseLong(f[1]),
                                Long.parseLong(f[11]) + Long.parseLong(f[12])});
                        if (postmaster == null) {
                            String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                            if (cmd.contains("postgres") && cmd.contains(dataDir)) {
                                postmaster = Long.parseLong(name);
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        // the process went away
                    }
                }
                if (postmaster == null) {
                    return Double.NaN;
                }
                long ticks = 0;
                for (long[] st : stats) {
                    if (st[0] == postmaster || st[1] == postmaster) {
                        ticks += st[2];
                    }
                }
                return ticks / 100.0;
            } catch (IOException e) {
                return Double.NaN;
            }
        }

        static long driverCpuNanos() {
            return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
        }
    }

    /** One row of the results table. */
    record Row(String phase, int concurrency, int requests, double seconds, Recorder lat, double heapBeforeMb,
               double heapMaxMb, double heapAfterMb, double targetCores, double driverCores, double machineCores,
               double postgresCores, double gcMs, String note) {

        /** CPU used by everything else on the machine: other engineers' builds, when they run. */
        double otherCores() {
            return machineCores - targetCores - driverCores - (Double.isNaN(postgresCores) ? 0 : postgresCores);
        }
    }

    /** Samples the target's heap every second while a phase runs, and CPU use around it. */
    final class PhaseMeter {
        final double[] before;
        final long driverCpu0 = Probe.driverCpuNanos();
        final long[] machine0 = Probe.machine();
        final double pg0 = Probe.postgresCpuSeconds(o.pgData());
        final long t0 = System.nanoTime();
        volatile boolean running = true;
        volatile double heapMax;
        final Thread sampler;

        final String recording;

        PhaseMeter(String phase) {
            recording = phase.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-$", "");
            jfr("JFR.start", "name=" + recording, "settings=" + jfcFile());
            before = probe.target();
            heapMax = before[0];
            sampler = new Thread(() -> {
                while (running) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    double h = probe.target()[0];
                    if (h > heapMax) {
                        heapMax = h;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        Row finish(String phase, int concurrency, int requests, double seconds, Recorder lat, String note) {
            running = false;
            sampler.interrupt();
            jfr("JFR.stop", "name=" + recording, "filename=" + JFR_DIR.resolve(recording + ".jfr"));
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double[] after = probe.target();
            long[] machine1 = Probe.machine();
            double driverCores = (Probe.driverCpuNanos() - driverCpu0) / 1e9 / elapsed;
            double targetCores = (after[1] - before[1]) / elapsed;
            double machineCores = machine1[1] == machine0[1] ? Double.NaN
                    : (double) (machine1[0] - machine0[0]) / (machine1[1] - machine0[1]) * CORES;
            double pgCores = (Probe.postgresCpuSeconds(o.pgData()) - pg0) / elapsed;
            double heapMaxMb = Math.max(heapMax, after[0]) / 1048576.0;
            return new Row(phase, concurrency, requests, seconds, lat, before[0] / 1048576.0, heapMaxMb,
                    after[0] / 1048576.0, targetCores, driverCores, machineCores, pgCores, (after[2] - before[2]) * 1000,
                    note);
        }
    }

    static final int CORES = Runtime.getRuntime().availableProcessors();
    static final Path JFR_DIR = Path.of("/tmp/federation-load-jfr");
    private Path jfc;

    /** JDK's profile settings with Java method sampling every 1 ms instead of 10 or 20. */
    private synchronized Path jfcFile() {
        if (jfc == null && o.jfrPid() != null) {
            try {
                Files.createDirectories(JFR_DIR);
                String profile = Files.readString(Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc"));
                profile = profile.replaceAll("(<event name=\"jdk.ExecutionSample\">\\s*<setting name=\"enabled\"[^<]*"
                        + "</setting>\\s*<setting name=\"period\"[^>]*>)[^<]*", "$11 ms");
                jfc = JFR_DIR.resolve("sampling-1ms.jfc");
                Files.writeString(jfc, profile);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return jfc;
    }

    /** Runs jcmd against the target when --jfr-pid is given. */
    private void jfr(String... command) {
        if (o.jfrPid() == null) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("jcmd", o.jfrPid()));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0 || out.contains("Could not")) {
                System.err.println("jcmd " + String.join(" ", command) + ": " + out.trim());
            }
        } catch (IOException e) {
            System.err.println("jcmd failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the run

    private final Options o;
    private final KeyServer keys;
    private final Federation fed;
    private final MatrixClient client;
    private final Probe probe;
    private final String tag = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    private final List<Row> rows = new ArrayList<>();
    private final List<String> omitLines = new ArrayList<>();
    private MatrixClient.User admin;

    FederationLoadDriver(Options o) throws Exception {
        this.o = o;
        this.keys = new KeyServer();
        int connections = Math.max(o.makeJoinConcurrency(), Math.max(o.sendJoinConcurrency(), o.populateConcurrency()));
        this.fed = new Federation(o.federationUrl(), keys.serverName, o.targetName(), keys.key, connections);
        this.client = new MatrixClient(o.clientUrl());
        this.probe = new Probe(o.clientUrl());
    }

    String user(String kind, int i) {
        return "@lt" + tag + "-" + kind + i + ":" + keys.serverName;
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        FederationLoadDriver driver = new FederationLoadDriver(o);
        try {
            driver.run();
        } finally {
            driver.fed.close();
            driver.keys.close();
        }
        System.exit(0);
    }

    void run() throws Exception {
        System.out.printf("Federation load driver: we are %s (key %s), target %s at %s, client API %s%n",
                keys.serverName, keys.key.keyId(), o.targetName(), o.federationUrl(), o.clientUrl());
        System.out.printf("Target's rate limits: %s%n", probe.rateLimits());
        System.out.printf("Driver JVM: %s %s %s (%s), %d cores visible; phases %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.version"), ManagementFactory.getRuntimeMXBean().getInputArguments(),
                Federation.c1Only() ? "C1 alone, TLS offers ChaCha20-Poly1305 first" : "C1 and C2, the JDK's TLS order",
                CORES, o.phases());
        signingCost();
        admin = client.register("lt" + tag + "-admin");
        System.out.printf("Registered %s%n", admin.userId());

        if (o.phases().contains("make_join") || o.phases().contains("send_join")) {
            String allowed = client.createRoom(admin, Map.of("preset", "public_chat", "room_version", "10",
                    "name", "load allowed " + tag));
            String restricted = client.createRoom(admin, Map.of("preset", "public_chat", "room_version", "10",
                    "name", "load restricted " + tag, "initial_state", List.of(Map.of("type", "m.room.join_rules",
                            "state_key", "", "content", MatrixClient.restrictedJoinRules(allowed)))));
            System.out.printf("Allowed room %s, restricted room %s (v10, restricted to the allowed room)%n", allowed,
                    restricted);
            int members = Math.max(o.sendJoinUsers(), 64);
            List<String> joiners = new ArrayList<>();
            for (int i = 0; i < members; i++) {
                joiners.add(user("a", i));
            }
            // Our users join the allowed room (public), so the target knows them as members of it.
            rows.add(joinAll("setup: join allowed room (public)", allowed, joiners, o.sendJoinConcurrency(), false,
                    null));
            if (o.phases().contains("make_join")) {
                Resp first = fed.get(Federation.makeJoinUri(restricted, joiners.get(0)));
                Object authoriser = first.status() == 200 ? Json.object(Json.object(first.json(), "event"), "content")
                        .get("join_authorised_via_users_server") : null;
                System.out.printf("make_join allowed check: %s, authoriser %s%n", first.label(), authoriser);
                Resp refused = fed.get(Federation.makeJoinUri(restricted, user("r", 0)));
                System.out.printf("make_join refused check: %s%n", refused.label());
                List<String> outsiders = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    outsiders.add(user("r", i));
                }
                rows.add(makeJoinPhase("make_join allowed", restricted, joiners, "200"));
                rows.add(makeJoinPhase("make_join refused (403)", restricted, outsiders, "403 M_FORBIDDEN"));
            }
            if (o.phases().contains("send_join")) {
                rows.add(joinAll("send_join restricted (authorised)", restricted,
                        joiners.subList(0, o.sendJoinUsers()), o.sendJoinConcurrency(), false, "pair"));
            }
        }
        if (o.phases().contains("omit")) {
            if (o.omitRoom() != null) {
                omitMeasure(o.omitRoom(), -1);
            } else {
                for (int size : o.sizes()) {
                    omitMode(size);
                }
            }
        }
        System.out.printf("%nDriver signing cost: %.1f µs per X-Matrix header (%d signed); key document fetched %d "
                        + "time(s), %d transaction(s) received%n", fed.signNanos.get() / 1e3 / Math.max(1, fed.signCount.get()),
                fed.signCount.get(), keys.keyFetches.get(), keys.transactions.get());
        printTable();
        if (!omitLines.isEmpty()) {
            System.out.println();
            System.out.println("| room members | join via | send_join ms (median) | min | max | response bytes | state events | auth_chain events |");
            System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|");
            omitLines.forEach(System.out::println);
        }
    }

    /** How long an X-Matrix signature takes here, so its share of the driver's CPU is known. */
    void signingCost() {
        String uri = Federation.makeJoinUri("!abcdefghijklmnop:localhost:8448", user("a", 1));
        for (int i = 0; i < 3000; i++) {
            XMatrix.sign(keys.key, "GET", uri, keys.serverName, o.targetName(), null);
        }
        int n = 5000;
        long t = System.nanoTime();
        for (int i = 0; i < n; i++) {
            XMatrix.sign(keys.key, "GET", uri, keys.serverName, o.targetName(), null);
        }
        System.out.printf("X-Matrix signing (make_join GET, one thread): %.1f µs each%n", (System.nanoTime() - t) / 1e3 / n);
    }

    /** make_join for a fixed time, {@code concurrency} workers cycling through users. */
    Row makeJoinPhase(String name, String roomId, List<String> users, String expected) throws Exception {
        int c = o.makeJoinConcurrency();
        System.out.printf("%s: %d s warm-up, then %d s with %d workers...%n", name, o.warmupSeconds(),
                o.durationSeconds(), c);
        runFor(roomId, users, c, o.warmupSeconds(), expected);
        PhaseMeter meter = new PhaseMeter(name);
        long t0 = System.nanoTime();
        Recorder r = runFor(roomId, users, c, o.durationSeconds(), expected);
        double secs = (System.nanoTime() - t0) / 1e9;
        return meter.finish(name, c, r.n, secs, r, "");
    }

    private Recorder runFor(String roomId, List<String> users, int workers, int seconds, String expected)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers, daemon("make-join"));
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicInteger next = new AtomicInteger();
        List<Future<Recorder>> parts = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            parts.add(pool.submit(() -> {
                Recorder rec = new Recorder();
                while (System.nanoTime() < deadline) {
                    String uri = Federation.makeJoinUri(roomId, users.get(Math.floorMod(next.getAndIncrement(),
                            users.size())));
                    long t = System.nanoTime();
                    Resp resp = fed.get(uri);
                    long lat = System.nanoTime() - t;
                    String label = resp.status() == 200 ? "200" : resp.label();
                    rec.record(lat, label);
                }
                return rec;
            }));
        }
        List<Recorder> all = new ArrayList<>();
        for (Future<Recorder> f : parts) {
            all.add(f.get());
        }
        pool.shutdown();
        Recorder merged = Recorder.merge(all);
        merged.outcomes.put("expected:" + expected, 0);
        return merged;
    }

    /**
     * Each user: make_join, sign, send_join, with {@code workers} in parallel. Records send_join
     * latency; when {@code pairNote} is set, also a row for the make_join + send_join pair.
     */
    Row joinAll(String name, String roomId, List<String> users, int workers, boolean omitMembers, String pairNote)
            throws Exception {
        System.out.printf("%s: %d users, %d workers...%n", name, users.size(), workers);
        ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>(users);
        ExecutorService pool = Executors.newFixedThreadPool(workers, daemon("send-join"));
        PhaseMeter meter = new PhaseMeter(name);
        long t0 = System.nanoTime();
        List<Future<Recorder[]>> parts = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            parts.add(pool.submit(() -> {
                Recorder send = new Recorder();
                Recorder pair = new Recorder();
                String u;
                while ((u = queue.poll()) != null) {
                    Join j = join(fed, roomId, u, omitMembers);
                    String label = j.last().label();
                    if (j.sendJoin() != null) {
                        send.record(j.sendJoinNanos(), label);
                    } else {
                        send.outcomes.merge("make_join " + label, 1, Integer::sum);
                    }
                    pair.record(j.makeJoinNanos() + j.signNanos() + j.sendJoinNanos(), label);
                }
                return new Recorder[] {send, pair};
            }));
        }
        List<Recorder> sends = new ArrayList<>();
        List<Recorder> pairs = new ArrayList<>();
        for (Future<Recorder[]> f : parts) {
            Recorder[] r = f.get();
            sends.add(r[0]);
            pairs.add(r[1]);
        }
        pool.shutdown();
        double secs = (System.nanoTime() - t0) / 1e9;
        Recorder send = Recorder.merge(sends);
        Row row = meter.finish(name, workers, users.size(), secs, send, "send_join alone");
        if (pairNote != null) {
            Recorder pair = Recorder.merge(pairs);
            rows.add(row);
            return new Row(name + " — make_join+sign+send_join", workers, users.size(), secs, pair, row.heapBeforeMb(),
                    row.heapMaxMb(), row.heapAfterMb(), row.targetCores(), row.driverCores(), row.machineCores(),
                    row.postgresCores(), row.gcMs(), "pair");
        }
        return row;
    }

    /** Issue 5's resident half: one more user joins a room of {@code size} members, full state vs omit_members. */
    void omitMode(int size) throws Exception {
        Map<String, Object> create = new LinkedHashMap<>(Map.of("preset", "public_chat", "room_version", "10"));
        if (o.namedRooms()) {
            create.put("name", "load " + size);
        }
        String roomId = client.createRoom(admin, create);
        List<String> fill = new ArrayList<>();
        for (int i = 1; i < size; i++) {
            fill.add(user("m" + size + "-", i));
        }
        System.out.printf("omit mode: room %s, filling to %d members...%n", roomId, size);
        if (!fill.isEmpty()) {
            Row row = joinAll("populate " + size + " (omit_members=true)", roomId, fill, o.populateConcurrency(), true,
                    null);
            rows.add(row);
            System.out.printf("  populated %d in %.1f s (%.0f joins/s)%n", fill.size(), row.seconds(),
                    fill.size() / row.seconds());
        }
        omitMeasure(roomId, size);
    }

    /** Joins into a room of {@code size} members (-1: unknown, ask it), full state and omit_members alternately. */
    void omitMeasure(String roomId, int size) throws Exception {
        Map<Boolean, List<double[]>> results = new LinkedHashMap<>();
        results.put(false, new ArrayList<>());
        results.put(true, new ArrayList<>());
        int k = 0;
        String batch = Long.toString(System.nanoTime() % 1_000_000L, 36);
        PhaseMeter meter = new PhaseMeter("omit measure " + size);
        // One unmeasured join of each kind first, then alternate so both see the same room size.
        for (int i = -1; i < o.omitJoins(); i++) {
            for (boolean omit : new boolean[] {false, true}) {
                Join j = join(fed, roomId, user("x" + batch + "-", k++), omit);
                if (!j.ok()) {
                    System.out.printf("  join failed: %s %s%n", j.last().label(),
                            new String(j.last().body(), StandardCharsets.UTF_8));
                    continue;
                }
                if (i < 0) {
                    continue;
                }
                Map<String, Object> answer = j.sendJoin().json();
                if (size < 0 && !omit) {
                    // An existing room: its size is the members in the first full-state answer.
                    size = (int) Json.list(answer, "state").stream()
                            .filter(e -> "m.room.member".equals(((Map<?, ?>) e).get("type"))).count();
                }
                results.get(omit).add(new double[] {j.sendJoinNanos() / 1e6, j.sendJoin().body().length,
                        Json.list(answer, "state").size(), Json.list(answer, "auth_chain").size()});
            }
        }
        meter.finish("omit measure " + size, 1, k, 0, new Recorder(), "");
        for (boolean omit : new boolean[] {false, true}) {
            List<double[]> rs = results.get(omit);
            if (rs.isEmpty()) {
                continue;
            }
            double[] ms = rs.stream().mapToDouble(r -> r[0]).sorted().toArray();
            double[] bytes = rs.stream().mapToDouble(r -> r[1]).sorted().toArray();
            omitLines.add(String.format(Locale.ROOT, "| %,d | %s | %.1f | %.1f | %.1f | %,.0f | %.0f | %.0f |", size,
                    omit ? "omit_members=true" : "full state", ms[ms.length / 2], ms[0], ms[ms.length - 1],
                    bytes[bytes.length / 2], rs.get(0)[2], rs.get(0)[3]));
            System.out.println("  " + omitLines.get(omitLines.size() - 1));
        }
    }

    void printTable() {
        System.out.println();
        System.out.println("| phase | conc. | requests | s | rate/s | p50 ms | p90 ms | p99 ms | max ms | outcomes "
                + "| heap MB before / max / after | CPU cores: target / postgres / driver / other | target CPU ms per request | GC ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|");
        for (Row r : rows) {
            Map<String, Integer> outcomes = new TreeMap<>(r.lat().outcomes);
            String expected = outcomes.keySet().stream().filter(s -> s.startsWith("expected:")).findFirst().orElse(null);
            if (expected != null) {
                outcomes.remove(expected);
            }
            StringBuilder oc = new StringBuilder();
            outcomes.forEach((k, v) -> oc.append(oc.length() == 0 ? "" : ", ").append(k).append(" ×").append(v));
            System.out.printf(Locale.ROOT, "| %s | %d | %,d | %.1f | %,.0f | %.2f | %.2f | %.2f | %.1f | %s | %.0f / %.0f / "
                            + "%.0f | %.2f / %.2f / %.2f / %.2f | %.2f | %.0f |%n", r.phase(), r.concurrency(), r.requests(),
                    r.seconds(), r.requests() / r.seconds(), r.lat().pct(0.50), r.lat().pct(0.90), r.lat().pct(0.99),
                    r.lat().pct(1.0), oc, r.heapBeforeMb(), r.heapMaxMb(), r.heapAfterMb(), r.targetCores(),
                    r.postgresCores(), r.driverCores(), r.otherCores(), r.targetCores() * r.seconds() * 1000 / r.requests(),
                    r.gcMs());
        }
    }

    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
