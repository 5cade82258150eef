package org.vestibule.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.vestibule.support.TestHomeservers;

/**
 * The real-client suite: {@code interop/clients}, where matrix-js-sdk (pinned by its package lock)
 * takes two users through a session against a Vestibule started here. Each step of the Node suite
 * is one scenario here, with the SDK's own failure message. Needs Node 20+ and npm (the registry
 * for the first {@code npm ci}); skipped, saying why, without them.
 */
@DisplayName("matrix-js-sdk")
class ClientSdkInteropTests {

    static final Path SUITE = Path.of("interop/clients");
    private static final Pattern RESULT = Pattern.compile("^( *)(not ok|ok) \\d+ - (.*?)( # SKIP.*)?$");

    /** One step of the Node suite and how it went. */
    record Step(String name, boolean passed, String detail) {}

    static TestHomeservers servers;
    static List<Step> steps = new ArrayList<>();
    static String output = "";

    @BeforeAll
    static void runSuite() throws Exception {
        assumeTrue(works("node", "--version") && works("npm", "--version"),
                "Node.js and npm are needed for the client SDK tests (interop/clients)");
        servers = Interop.vestibule(1, i -> new String[0]);
        if (!Files.isDirectory(SUITE.resolve("node_modules/matrix-js-sdk"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), 600);
        }
        output = run(List.of("node", "--test", "--test-reporter=tap", "test/"), 600);
        steps = parse(output);
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> session() {
        assertThat(steps).as("steps reported by the Node suite; its output:\n" + output).isNotEmpty();
        return steps.stream().map(s -> DynamicTest.dynamicTest(s.name(), () ->
                assertThat(s.passed()).as(s.name() + "\n" + s.detail()).isTrue()));
    }

    /** The steps inside the suite's describe block (indented results), from node's TAP output. */
    static List<Step> parse(String tap) {
        List<Step> out = new ArrayList<>();
        String[] lines = tap.split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = RESULT.matcher(lines[i]);
            if (!m.matches() || m.group(1).isEmpty()) {
                continue;
            }
            StringBuilder detail = new StringBuilder();
            for (int j = i + 1; j < lines.length && !RESULT.matcher(lines[j]).matches() && j < i + 40; j++) {
                detail.append(lines[j]).append('\n');
            }
            out.add(new Step(m.group(3), m.group(2).equals("ok"), detail.toString()));
        }
        return out;
    }

    private static String run(List<String> command, int seconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(SUITE.toFile()).redirectErrorStream(true);
        pb.environment().put("VESTIBULE_URL", servers.get(0).clientBaseUrl());
        Path log = Files.createTempFile("client-sdk", ".log");
        Process p = pb.redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        System.out.println(String.join(" ", command) + ":\n" + text);
        return text;
    }

    private static boolean works(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
