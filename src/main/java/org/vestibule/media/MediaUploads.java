package org.vestibule.media;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.keys.ServerKeyring;

/**
 * Uploads (spec client-server §Content repository, content-repo.yaml): {@code POST /upload} in one
 * go, and {@code POST /create} then {@code PUT /upload/{serverName}/{mediaId}} for uploads whose
 * URI is needed first (v1.7). Bodies are streamed to disk and cut off at the size limit; the row
 * that makes the media visible is written only once its file is whole.
 */
@Service
class MediaUploads {

    private static final Logger log = LoggerFactory.getLogger(MediaUploads.class);

    /** Reading the client's body failed: it went away, or sent less than it said. */
    private static final class ClientBodyException extends IOException {
        ClientBodyException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final MediaRecords records;
    private final MediaStore store;
    private final MediaProperties properties;
    private final ServerKeyring keyring;
    private final Clock clock;

    MediaUploads(MediaRecords records, MediaStore store, MediaProperties properties, ServerKeyring keyring, Clock clock) {
        this.records = records;
        this.store = store;
        this.properties = properties;
        this.keyring = keyring;
        this.clock = clock;
    }

    /** {@code POST /_matrix/media/v3/upload}: the new media's {@code mxc://} URI. */
    String upload(ClientUser user, String contentType, String fileName, long declaredLength, InputStream body) {
        requireFileName(fileName);
        MediaStore.Blob blob = receive(user, declaredLength, body);
        long now = clock.millis();
        MediaRecord media = new MediaRecord(keyring.serverName(), MediaIds.random(), user.userId(),
                ContentDisposition.contentType(contentType), emptyToNull(fileName), blob.size(), blob.sha256(), now, now,
                null);
        records.insertStored(media);
        return media.mxc();
    }

    /**
     * {@code POST /_matrix/media/v1/create}: a URI whose content comes later, with
     * {@code unused_expires_at}; 429 M_LIMIT_EXCEEDED when the user already waits on too many.
     */
    Map<String, Object> create(ClientUser user) {
        long now = clock.millis();
        records.deleteExpiredPending(user.userId(), now);
        if (records.pendingOf(user.userId(), now) >= properties.maxPendingUploads()) {
            throw new MatrixException(429, Errcode.LIMIT_EXCEEDED, "You have " + properties.maxPendingUploads()
                    + " media IDs from /create still waiting for their content; upload to those first",
                    Map.of("retry_after_ms", 60_000));
        }
        String mediaId = MediaIds.random();
        long expires = now + properties.unusedExpiry().toMillis();
        records.insertPending(keyring.serverName(), mediaId, user.userId(), now, expires);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("content_uri", "mxc://" + keyring.serverName() + "/" + mediaId);
        out.put("unused_expires_at", expires);
        return out;
    }

    /**
     * {@code PUT /_matrix/media/v3/upload/{serverName}/{mediaId}}: the content of a created ID.
     * 404 M_NOT_FOUND when it was never created here or expired, 403 M_FORBIDDEN for another
     * user's, 409 M_CANNOT_OVERWRITE_MEDIA once it has content.
     */
    void uploadTo(ClientUser user, String serverName, String mediaId, String contentType, String fileName,
                  long declaredLength, InputStream body) {
        MediaIds.require(serverName, mediaId);
        requireFileName(fileName);
        MediaRecord pending = pendingOf(user, serverName, mediaId);
        MediaStore.Blob blob = receive(user, declaredLength, body);
        boolean completed = records.complete(serverName, mediaId, ContentDisposition.contentType(contentType),
                emptyToNull(fileName), blob.size(), blob.sha256(), clock.millis());
        if (!completed) {
            throw cannotOverwrite(pending);
        }
    }

    private MediaRecord pendingOf(ClientUser user, String serverName, String mediaId) {
        String mxc = "mxc://" + serverName + "/" + mediaId;
        if (!keyring.isOurs(serverName)) {
            throw MatrixException.notFound(mxc + " was not created on this server");
        }
        MediaRecord media = records.find(serverName, mediaId)
                .orElseThrow(() -> MatrixException.notFound(mxc + " was not created with /create on this server"));
        if (media.uploader() == null || !media.uploader().equals(user.userId())) {
            throw MatrixException.forbidden(mxc + " was created by another user");
        }
        if (media.stored()) {
            throw cannotOverwrite(media);
        }
        if (media.unusedExpiresTs() != null && media.unusedExpiresTs() <= clock.millis()) {
            throw MatrixException.notFound(mxc + " expired before its content came; create a new one");
        }
        return media;
    }

    private static MatrixException cannotOverwrite(MediaRecord media) {
        return new MatrixException(409, Errcode.CANNOT_OVERWRITE_MEDIA, media.mxc() + " already has content");
    }

    /** The body on disk, within the size limit and the user's quota. */
    private MediaStore.Blob receive(ClientUser user, long declaredLength, InputStream body) {
        long max = properties.maxUploadSize().toBytes();
        if (declaredLength > max) {
            throw tooLarge(max);
        }
        Long quota = properties.userQuota() == null ? null : properties.userQuota().toBytes();
        long used = quota == null ? 0 : records.bytesOf(user.userId());
        if (quota != null && used + Math.max(declaredLength, 0) > quota) {
            throw overQuota(quota, used);
        }
        MediaStore.Blob blob;
        try {
            blob = store.write(clientBody(body), max);
        } catch (MediaStore.TooLargeException e) {
            throw tooLarge(max);
        } catch (ClientBodyException e) {
            throw new MatrixException(400, Errcode.UNKNOWN, "The upload did not arrive whole: " + e.getMessage());
        } catch (IOException e) {
            log.warn("Could not store an upload of {} in {}: {}", user.userId(), store.root(), e.toString());
            throw new MatrixException(500, Errcode.UNKNOWN, "The server could not store the upload");
        }
        if (quota != null && used + blob.size() > quota) {
            throw overQuota(quota, used); // the file stays for other uploads of the same bytes, or is unreferenced
        }
        return blob;
    }

    private static InputStream clientBody(InputStream body) {
        return new FilterInputStream(body) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    throw new ClientBodyException(e);
                }
            }

            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    throw new ClientBodyException(e);
                }
            }
        };
    }

    private static MatrixException tooLarge(long max) {
        return new MatrixException(413, Errcode.TOO_LARGE, "Uploads may be at most " + max + " bytes (m.upload.size "
                + "in /_matrix/client/v1/media/config)");
    }

    private static MatrixException overQuota(long quota, long used) {
        return MatrixException.forbidden("This upload would take you over your quota of " + quota + " bytes ("
                + used + " used)");
    }

    private static void requireFileName(String fileName) {
        if (fileName != null && (fileName.length() > ContentDisposition.MAX_FILE_NAME || fileName.indexOf('\0') >= 0)) {
            throw MatrixException.invalidParam("'filename' must be at most " + ContentDisposition.MAX_FILE_NAME
                    + " characters, without NUL");
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
