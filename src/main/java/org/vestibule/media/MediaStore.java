package org.vestibule.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import org.vestibule.config.VestibuleProperties;

/**
 * Media files on disk, content-addressed: {@code <root>/content/ab/cd/<sha256>}. Every write goes to
 * a temporary file in {@code <root>/tmp} first, is hashed and counted on the way, forced to disk,
 * then moved into place atomically, so a file under {@code content/} is always whole and equal
 * uploads share one file. Several instances may share the folder (a network file system): the
 * same bytes always land on the same name.
 */
@Component
class MediaStore {

    private static final Logger log = LoggerFactory.getLogger(MediaStore.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** A temporary file this old is left over from a crash. */
    private static final Duration STALE_TEMP = Duration.ofDays(1);

    /** Bytes written: their SHA-256 in lower-case hex and their size. */
    record Blob(String sha256, long size) {}

    /** The content was longer than the caller's limit; nothing was kept. */
    static final class TooLargeException extends IOException {
        TooLargeException(long limit) {
            super("more than " + limit + " bytes");
        }
    }

    private final Path root;
    private final Path content;
    private final Path tmp;

    @Autowired
    MediaStore(MediaProperties properties, VestibuleProperties vestibule) {
        this(properties.storageDir() != null ? properties.storageDir() : vestibule.dataDir().resolve("media"));
    }

    MediaStore(Path root) {
        this.root = root.toAbsolutePath();
        this.content = this.root.resolve("content");
        this.tmp = this.root.resolve("tmp");
        try {
            Files.createDirectories(content);
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the media folder " + this.root + ": " + e.getMessage(), e);
        }
        removeStaleTemporaryFiles();
    }

    Path root() {
        return root;
    }

    /**
     * Reads {@code in} to its end into the store.
     *
     * @throws TooLargeException when more than {@code maxBytes} come; the partial file is deleted
     * @throws IOException       when reading or writing fails; nothing is kept
     */
    Blob write(InputStream in, long maxBytes) throws IOException {
        Path temp = Files.createTempFile(tmp, "upload-", ".part");
        boolean moved = false;
        try {
            MessageDigest sha256 = sha256();
            long size = 0;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(channel)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    size += n;
                    if (size > maxBytes) {
                        throw new TooLargeException(maxBytes);
                    }
                    sha256.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
                out.flush();
                channel.force(true);
            }
            String hash = HexFormat.of().formatHex(sha256.digest());
            Path target = path(hash);
            if (Files.exists(target)) {
                return new Blob(hash, size); // the same bytes are already here
            }
            Files.createDirectories(target.getParent());
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                moveWithoutAtomicRename(temp, target);
            }
            moved = true;
            return new Blob(hash, size);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Where the file of a hash is; it may not exist. */
    Path path(String sha256) {
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a SHA-256 in hex: " + sha256);
        }
        return content.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256);
    }

    boolean exists(String sha256) {
        return Files.isRegularFile(path(sha256));
    }

    /** Deletes a file no media or thumbnail refers to any more. */
    void delete(String sha256) {
        try {
            Files.deleteIfExists(path(sha256));
        } catch (IOException e) {
            log.warn("Could not delete media file {}: {}", path(sha256), e.toString());
        }
    }

    private static void moveWithoutAtomicRename(Path temp, Path target) throws IOException {
        // Same folder tree, so this only happens on odd file systems; a racing writer has the same bytes.
        try {
            Files.move(temp, target);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(temp);
        }
    }

    private void removeStaleTemporaryFiles() {
        Instant before = Instant.now().minus(STALE_TEMP);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp, "upload-*.part")) {
            for (Path file : files) {
                if (Files.getLastModifiedTime(file).toInstant().isBefore(before)) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            log.warn("Could not clean the media temporary folder {}: {}", tmp, e.toString());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
