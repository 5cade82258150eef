package org.vestibule.media;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.media.MediaRepository.Access;

/**
 * Thumbnails (spec client-server §Thumbnails): of PNG, JPEG and GIF media, at the spec's
 * recommended sizes, the smallest at least as large as asked (never upscaled), made once and kept
 * in the store like media. Content smaller than asked is served as it is. GIFs come out as a still
 * PNG of their first frame unless the client asks for {@code animated} and the GIF fits as it is:
 * no animated thumbnails are made.
 */
@Service
class MediaThumbnails {

    private static final Logger log = LoggerFactory.getLogger(MediaThumbnails.class);
    static final Set<String> THUMBNAILABLE = Set.of("image/png", "image/jpeg", "image/gif");

    private final MediaRepository repository;
    private final MediaRecords records;
    private final MediaStore store;
    private final MediaProperties properties;
    private final ServerKeyring keyring;
    private final Clock clock;
    /** Decoding is CPU and memory: a few at a time. */
    private final Semaphore rendering = new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()));

    MediaThumbnails(MediaRepository repository, MediaRecords records, MediaStore store, MediaProperties properties,
                    ServerKeyring keyring, Clock clock) {
        this.repository = repository;
        this.records = records;
        this.store = store;
        this.properties = properties;
        this.keyring = keyring;
        this.clock = clock;
    }

    /** A thumbnail of {@code mxc://serverName/mediaId} at least {@code width}×{@code height} where the source allows. */
    MediaContent thumbnail(String serverName, String mediaId, int width, int height, String method, Boolean animated,
                           Long timeoutMs, Access access) {
        if (width <= 0 || height <= 0) {
            throw MatrixException.invalidParam("'width' and 'height' must be positive integers");
        }
        ThumbnailSize.Method how = ThumbnailSize.Method.of(method);
        MediaRecord source = repository.find(serverName, mediaId, timeoutMs, access);
        String type = ContentDisposition.baseType(source.contentType());
        if (!THUMBNAILABLE.contains(type)) {
            throw cannotThumbnail(source, "it is " + source.contentType() + "; thumbnails are made of PNG, JPEG and GIF "
                    + "images");
        }
        MediaContent original = new MediaContent(store.path(source.sha256()), source.size(), source.contentType(), null);
        ThumbnailRenderer.Probe probe;
        try {
            probe = ThumbnailRenderer.probe(original.file());
        } catch (ThumbnailRenderer.UndecodableException e) {
            throw cannotThumbnail(source, e.getMessage());
        }
        boolean gif = probe.format().equals("gif");
        if (probe.width() <= width && probe.height() <= height && (!gif || Boolean.TRUE.equals(animated))) {
            return original.withFileName(thumbnailName(source.contentType())); // smaller than asked: as it is
        }
        ThumbnailSize size = ThumbnailSize.choose(width, height, how);
        String outType = probe.jpeg() ? "image/jpeg" : "image/png";
        Optional<ThumbnailRecord> kept = records.thumbnail(source.origin(), source.mediaId(), size, outType);
        if (kept.isPresent() && store.exists(kept.get().sha256())) {
            return content(kept.get());
        }
        kept.ifPresent(records::deleteThumbnail);
        return content(render(source, original, size, outType));
    }

    private ThumbnailRecord render(MediaRecord source, MediaContent original, ThumbnailSize size, String outType) {
        ThumbnailRenderer.Rendered rendered;
        try {
            rendering.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MatrixException(503, Errcode.UNKNOWN, "Interrupted while making a thumbnail");
        }
        try {
            rendered = ThumbnailRenderer.render(original.file(), size, properties.maxImagePixels());
        } catch (ThumbnailRenderer.TooManyPixelsException e) {
            // Spec: 413 for our own content, 502 for another server's.
            int status = keyring.isOurs(source.origin()) ? 413 : 502;
            throw new MatrixException(status, Errcode.TOO_LARGE, "Cannot make a thumbnail of " + source.mxc() + ": "
                    + e.getMessage());
        } catch (ThumbnailRenderer.UndecodableException e) {
            throw cannotThumbnail(source, e.getMessage());
        } finally {
            rendering.release();
        }
        MediaStore.Blob blob;
        try {
            blob = store.write(new ByteArrayInputStream(rendered.bytes()), Long.MAX_VALUE);
        } catch (IOException e) {
            log.warn("Could not store a thumbnail of {} in {}: {}", source.mxc(), store.root(), e.toString());
            throw new MatrixException(500, Errcode.UNKNOWN, "The server could not store the thumbnail");
        }
        ThumbnailRecord thumbnail = new ThumbnailRecord(source.origin(), source.mediaId(), size, rendered.contentType(),
                rendered.width(), rendered.height(), blob.size(), blob.sha256(), clock.millis());
        records.insertThumbnail(thumbnail);
        return thumbnail;
    }

    private MediaContent content(ThumbnailRecord t) {
        return new MediaContent(store.path(t.sha256()), t.bytes(), t.contentType(), thumbnailName(t.contentType()));
    }

    private static String thumbnailName(String contentType) {
        return switch (ContentDisposition.baseType(contentType)) {
            case "image/jpeg" -> "thumbnail.jpg";
            case "image/gif" -> "thumbnail.gif";
            default -> "thumbnail.png";
        };
    }

    /** The spec's answer for content it cannot thumbnail: 400 M_UNKNOWN. */
    private static MatrixException cannotThumbnail(MediaRecord source, String why) {
        return new MatrixException(400, Errcode.UNKNOWN, "Cannot generate a thumbnail of " + source.mxc() + ": " + why);
    }
}
