package org.vestibule.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.vestibule.VestibuleApplication;
import org.vestibule.config.FederationListener;

/**
 * Several real Vestibule servers in this JVM that federate with each other over HTTPS on
 * loopback. Each has its own database on the test PostgreSQL, its own data folder, plain HTTP on
 * a random port and HTTPS on a port chosen up front so that its server name can be
 * {@code localhost:<tlsPort>}; its certificate for {@code localhost} comes from the test CA,
 * which every instance trusts. Start them once per test class; closing stops them all. Rate limits
 * are off ({@code vestibule.rate-limits.enabled=false}) unless a test's settings turn them on; a
 * setting a test gives replaces the default of the same key.
 *
 * <pre>{@code
 * static TestHomeservers servers = TestHomeservers.start(2);
 * FederationClient client = servers.get(0).bean(FederationClient.class);
 * client.get(servers.get(1).serverName(), "/_matrix/federation/v1/...");
 * }</pre>
 */
public final class TestHomeservers implements AutoCloseable {

    /** One running server. */
    public static final class Homeserver implements AutoCloseable {
        private final ConfigurableApplicationContext context;
        private final String serverName;
        private final int tlsPort;
        private final String[] args;

        private Homeserver(ConfigurableApplicationContext context, String serverName, int tlsPort, String[] args) {
            this.context = context;
            this.serverName = serverName;
            this.tlsPort = tlsPort;
            this.args = args;
        }

        /**
         * Stops this server and starts it again on the same database, data folder and HTTPS port,
         * as after a restart. The returned server is the caller's to close; this one stays closed.
         */
        public Homeserver restart() {
            return restart(() -> { });
        }

        /** {@link #restart()}, running {@code whileStopped} between the stop and the start. */
        public Homeserver restart(Runnable whileStopped) {
            context.close();
            whileStopped.run();
            ConfigurableApplicationContext again = new SpringApplicationBuilder(VestibuleApplication.class).run(args);
            return new Homeserver(again, serverName, tlsPort, args);
        }

        /**
         * Stops this server and starts it again under the same name and HTTPS port on an empty
         * database, as after an operator wiped it: new signing key, no rooms, no users.
         */
        public Homeserver restartOnEmptyDatabase() {
            context.close();
            String[] wiped = args.clone();
            for (int i = 0; i < wiped.length; i++) {
                if (wiped[i].startsWith("--spring.datasource.url=")) {
                    wiped[i] = "--spring.datasource.url=" + TestDatabase.newDatabase("wiped");
                }
            }
            ConfigurableApplicationContext again = new SpringApplicationBuilder(VestibuleApplication.class).run(wiped);
            return new Homeserver(again, serverName, tlsPort, wiped);
        }

        public ConfigurableApplicationContext context() {
            return context;
        }

        public <T> T bean(Class<T> type) {
            return context.getBean(type);
        }

        /** {@code localhost:<tlsPort>}. */
        public String serverName() {
            return serverName;
        }

        public int httpPort() {
            return Integer.parseInt(context.getEnvironment().getRequiredProperty("local.server.port"));
        }

        public int tlsPort() {
            return tlsPort;
        }

        /** The plain HTTP listener: client-server API (and everything else). */
        public String clientBaseUrl() {
            return "http://127.0.0.1:" + httpPort();
        }

        /** The HTTPS listener peers use: {@code https://localhost:<tlsPort>}. */
        public String federationBaseUrl() {
            return "https://localhost:" + tlsPort;
        }

        @Override
        public void close() {
            context.close();
        }

        @Override
        public String toString() {
            return "Homeserver[" + serverName + ", " + clientBaseUrl() + "]";
        }
    }

    private final List<Homeserver> servers;

    private TestHomeservers(List<Homeserver> servers) {
        this.servers = List.copyOf(servers);
    }

    /**
     * Starts {@code count} servers side by side.
     *
     * @param extraArgs more {@code --key=value} settings, given to every server
     */
    public static TestHomeservers start(int count, String... extraArgs) {
        return start(count, index -> extraArgs);
    }

    /**
     * Starts {@code count} servers side by side, each with its own extra settings.
     *
     * @param extraArgs more {@code --key=value} settings for the server with the given index
     */
    public static TestHomeservers start(int count, IntFunction<String[]> extraArgs) {
        return start(count, index -> "localhost", extraArgs);
    }

    /**
     * Starts {@code count} servers side by side, each named {@code <host>:<tlsPort>} by its index:
     * {@code localhost} or {@code 127.0.0.1}, the names the test certificate covers (an IP literal
     * name, for the server ACL's {@code allow_ip_literals}); any host for a server that issues its own
     * certificate ({@code vestibule.tls.issuer-certificate}).
     */
    public static TestHomeservers start(int count, IntFunction<String> hosts,
                                        IntFunction<String[]> extraArgs) {
        ExecutorService starter = Executors.newFixedThreadPool(count);
        List<Future<Homeserver>> starting = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            starting.add(starter.submit(() -> startOne(index, hosts.apply(index), extraArgs.apply(index))));
        }
        starter.shutdown();
        List<Homeserver> started = new ArrayList<>();
        RuntimeException failure = null;
        for (Future<Homeserver> future : starting) {
            try {
                started.add(future.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new IllegalStateException("interrupted while starting test homeservers", e);
            } catch (ExecutionException e) {
                failure = failure != null ? failure
                        : new IllegalStateException("could not start a test homeserver: " + e.getCause(), e.getCause());
            }
        }
        if (failure != null) {
            started.forEach(Homeserver::close);
            throw failure;
        }
        return new TestHomeservers(started);
    }

    private static Homeserver startOne(int index, String host, String... extraArgs) throws IOException {
        boolean issuesItsOwn = Arrays.stream(extraArgs).anyMatch(a -> a.startsWith("--vestibule.tls.issuer-certificate="));
        if (!issuesItsOwn && !host.equals("localhost") && !host.equals("127.0.0.1")) {
            throw new IllegalArgumentException("the test certificate covers localhost and 127.0.0.1, not " + host);
        }
        Path dir = TestDirectories.create("homeserver-" + index + "-");
        Path[] tls = TestCertificates.writePem(TestCertificates.issue("localhost", "127.0.0.1"), dir.resolve("tls-test"),
                "localhost");
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int tlsPort = freePort();
            String serverName = host + ":" + tlsPort;
            List<String> args = new ArrayList<>(List.of(
                    "--server.port=0",
                    "--vestibule.server-name=" + serverName,
                    "--vestibule.data-dir=" + dir,
                    "--vestibule.tls.port=" + tlsPort,
                    "--vestibule.tls.certificate=" + tls[0],
                    "--vestibule.tls.private-key=" + tls[1],
                    "--spring.datasource.url=" + TestDatabase.newDatabase("hs" + index),
                    "--spring.datasource.username=" + TestDatabase.server().username(),
                    "--spring.datasource.password=" + TestDatabase.server().password(),
                    "--spring.datasource.hikari.maximum-pool-size=5",
                    "--vestibule.federation.allow-private-addresses=true",
                    "--vestibule.federation.tls.trusted-ca=" + TestCertificates.caPem(),
                    "--vestibule.rate-limits.enabled=false"));
            if (issuesItsOwn) {
                // A server that issues its own certificate serves no given one.
                args.removeIf(a -> a.startsWith("--vestibule.tls.certificate=") || a.startsWith("--vestibule.tls.private-key="));
            }
            for (String extra : extraArgs) {
                // A repeated --key=value would bind as "a,b": the test's value replaces the default.
                int eq = extra.indexOf('=');
                String key = eq < 0 ? extra : extra.substring(0, eq + 1);
                args.removeIf(a -> a.startsWith(key));
                args.add(extra);
            }
            try {
                String[] all = args.toArray(new String[0]);
                ConfigurableApplicationContext context = new SpringApplicationBuilder(VestibuleApplication.class).run(all);
                int bound = context.getBean(FederationListener.class).port();
                if (bound != tlsPort) {
                    context.close();
                    throw new IllegalStateException("the HTTPS listener bound " + bound + ", not " + tlsPort);
                }
                return new Homeserver(context, serverName, tlsPort, all);
            } catch (RuntimeException e) {
                // Most likely someone took the port between our check and Tomcat's bind: try another.
                last = new IllegalStateException("test homeserver " + index + " failed to start on " + serverName, e);
            }
        }
        throw last;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    public Homeserver get(int index) {
        return servers.get(index);
    }

    public List<Homeserver> all() {
        return servers;
    }

    @Override
    public void close() {
        servers.forEach(Homeserver::close);
    }
}
