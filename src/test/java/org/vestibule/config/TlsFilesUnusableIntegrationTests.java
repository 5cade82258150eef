package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.vestibule.VestibuleApplication;
import org.vestibule.support.TestDatabase;

/** A start whose TLS files cannot be used stops with what is wrong and which settings name them, not a stack. */
@ExtendWith(OutputCaptureExtension.class)
class TlsFilesUnusableIntegrationTests {

    @TempDir
    Path dataDir;

    @Test
    void aMissingCaNamesTheFileAndItsSettings(CapturedOutput output) {
        FailureAnalysis analysis = analyse("--vestibule.tls.issuer-certificate=" + dataDir.resolve("no-ca.crt"),
                "--vestibule.tls.issuer-key=" + dataDir.resolve("no-ca.key"));

        assertThat(analysis.getDescription()).startsWith("Vestibule cannot set up its HTTPS listener: could not read")
                .contains(dataDir.resolve("no-ca.crt") + " does not exist");
        assertThat(analysis.getAction()).contains("vestibule.tls.issuer-certificate (" + dataDir.resolve("no-ca.crt") + ")")
                .contains("vestibule.tls.issuer-key").contains("vestibule.tls.enabled=false");
        assertThat(output.getOut() + output.getErr()).as("Spring Boot prints our analysis, not the stack")
                .contains("APPLICATION FAILED TO START").contains("Vestibule cannot set up its HTTPS listener")
                .doesNotContain("\tat org.vestibule");
    }

    @Test
    void aConfiguredCertificateThatIsNoPemNamesItsSettings() throws Exception {
        Path certificate = Files.writeString(dataDir.resolve("server.crt"), "not a certificate");
        Path key = Files.writeString(dataDir.resolve("server.key"), "not a key");

        FailureAnalysis analysis = analyse("--vestibule.tls.certificate=" + certificate, "--vestibule.tls.private-key=" + key);

        assertThat(analysis.getDescription()).contains("server.crt");
        assertThat(analysis.getAction()).startsWith("Check vestibule.tls.certificate (" + certificate + ") and vestibule.tls.private-key");
    }

    @Test
    void aKeptSelfSignedPairThatCannotBeReadSaysHowToRemakeIt() throws Exception {
        Path kept = Files.createDirectories(dataDir.resolve("tls"));
        Files.writeString(kept.resolve("federation.crt"), "truncated");
        Files.writeString(kept.resolve("federation.key"), "truncated");

        FailureAnalysis analysis = analyse();

        assertThat(analysis.getAction()).contains(kept.resolve("federation.crt").toString())
                .contains("delete both files to have them made anew");
    }

    private FailureAnalysis analyse(String... tlsArgs) {
        TestDatabase.Server server = TestDatabase.server();
        String[] base = {"--server.port=0", "--vestibule.tls.port=0", "--vestibule.data-dir=" + dataDir,
                "--spring.datasource.url=" + TestDatabase.newDatabase("tlsfiles"),
                "--spring.datasource.username=" + server.username(), "--spring.datasource.password=" + server.password()};
        String[] args = new String[base.length + tlsArgs.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(tlsArgs, 0, args, base.length, tlsArgs.length);
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(VestibuleApplication.class).run(args));
        assertThat(failure).as("the start fails").isNotNull();
        FailureAnalysis analysis = new TlsFilesUnusableAnalyzer().analyze(failure);
        assertThat(analysis).as("analysed: %s", failure).isNotNull();
        return analysis;
    }
}
