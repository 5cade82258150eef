package org.vestibule.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Data folders for test servers, all under one folder of this JVM that is deleted as it exits, so
 * that a test run leaves nothing in the temporary directory. For a folder that holds a PostgreSQL
 * the test stops itself, JUnit's {@code @TempDir} is the better fit: it is deleted right after.
 */
public final class TestDirectories {

    private static Path root;

    private TestDirectories() {
    }

    /** A new, empty folder named {@code prefix…} under this JVM's folder. */
    public static Path create(String prefix) {
        try {
            return Files.createTempDirectory(root(), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a test data folder", e);
        }
    }

    private static synchronized Path root() throws IOException {
        if (root == null) {
            Path made = Files.createTempDirectory("vestibule-tests-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(made), "vestibule-test-directories"));
            root = made;
        }
        return root;
    }

    /** Deletes what it can: at exit a server may still be closing, and a leftover file is no failure. */
    static void deleteTree(Path top) {
        try (Stream<Path> paths = Files.walk(top)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // still in use or already gone
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // the folder is gone or unreadable: nothing more to do
        }
    }
}
