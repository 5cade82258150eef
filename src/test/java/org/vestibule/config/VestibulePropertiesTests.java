package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared settings are checked as they are bound, so a bad one stops the start with its name. */
class VestibulePropertiesTests {

    @TempDir
    Path folder;

    @Test
    void aDataFolderThatCanBeMadeOrWrittenIsAccepted() {
        assertThat(new VestibuleProperties("localhost:8448", folder).dataDir()).isEqualTo(folder);
        assertThat(new VestibuleProperties("localhost:8448", folder.resolve("not/yet/made")).dataDir())
                .isEqualTo(folder.resolve("not/yet/made"));
        assertThat(Files.exists(folder.resolve("not"))).as("checking makes nothing").isFalse();
    }

    @Test
    void aDataFolderUnderAFileIsRefusedWithItsName() throws IOException {
        Path file = Files.writeString(folder.resolve("a-file"), "x");

        assertThatIllegalArgumentException().isThrownBy(() -> new VestibuleProperties("localhost:8448", file.resolve("data")))
                .withMessageContaining("vestibule.data-dir cannot be used: " + file + " is a file, not a folder")
                .withMessageContaining("VESTIBULE_DATA_DIR");
        assertThatIllegalArgumentException().isThrownBy(() -> new VestibuleProperties("localhost:8448", file))
                .withMessageContaining(file + " is a file, not a folder");
    }

    @Test
    void aServerNameThatIsNotOneIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> new VestibuleProperties("bad name!", folder))
                .withMessageContaining("vestibule.server-name is not a valid Matrix server name");
    }
}
