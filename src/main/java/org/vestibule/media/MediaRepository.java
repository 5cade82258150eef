package org.vestibule.media;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.keys.ServerKeyring;

/**
 * Finding media to serve (spec client-server §Content repository): ours from the table and the
 * store, other servers' through {@link RemoteMedia}. Who asks decides what may be served: our
 * clients with an access token get everything; the deprecated unauthenticated endpoints only
 * media stored before {@code vestibule.media.legacy-cutoff} (the spec's "freeze", answered as
 * MSC3916 says with 404 M_NOT_FOUND); other servers only our own media.
 */
@Service
class MediaRepository {

    private static final Logger log = LoggerFactory.getLogger(MediaRepository.class);
    /** The spec's default wait for media whose content has not come yet. */
    static final long DEFAULT_TIMEOUT_MS = 20_000;
    private static final long POLL_MS = 250;

    /** Who is asking. */
    enum Access {
        /** {@code /_matrix/client/v1/media/…} with an access token. */
        CLIENT,
        /** The deprecated {@code /_matrix/media/v3/…}, unauthenticated. */
        LEGACY,
        /** The same with {@code allow_remote=false}: never another server's media. */
        LEGACY_LOCAL_ONLY,
        /** {@code /_matrix/federation/v1/media/…}: only our own media (MSC3916). */
        FEDERATION
    }

    private final MediaRecords records;
    private final MediaStore store;
    private final RemoteMedia remote;
    private final MediaProperties properties;
    private final ServerKeyring keyring;
    private final Clock clock;

    MediaRepository(MediaRecords records, MediaStore store, RemoteMedia remote, MediaProperties properties,
                    ServerKeyring keyring, Clock clock) {
        this.records = records;
        this.store = store;
        this.remote = remote;
        this.properties = properties;
        this.keyring = keyring;
        this.clock = clock;
    }

    /** The bytes of {@code mxc://serverName/mediaId} with their type and upload name. */
    MediaContent download(String serverName, String mediaId, Long timeoutMs, Access access) {
        MediaRecord media = find(serverName, mediaId, timeoutMs, access);
        return new MediaContent(store.path(media.sha256()), media.size(), media.contentType(), media.uploadName());
    }

    /** The media with its content, waiting for a /create'd ID's upload up to the timeout. */
    MediaRecord find(String serverName, String mediaId, Long timeoutMs, Access access) {
        MediaIds.require(serverName, mediaId);
        long timeout = timeoutMs == null ? DEFAULT_TIMEOUT_MS : Math.max(0, Math.min(timeoutMs, RemoteMedia.MAX_TIMEOUT_MS));
        String mxc = "mxc://" + serverName + "/" + mediaId;
        MediaRecord media;
        if (keyring.isOurs(serverName)) {
            media = local(serverName, mediaId, timeout);
            if (!store.exists(media.sha256())) {
                log.error("The file of {} ({}) is missing from {}", mxc, media.sha256(), store.root());
                throw MatrixException.notFound("The content of " + mxc + " is gone from this server");
            }
        } else if (access == Access.FEDERATION) {
            throw MatrixException.notFound(mxc + " is not media of this server; ask " + serverName);
        } else if (access == Access.CLIENT) {
            media = remote.fetch(serverName, mediaId, timeout);
        } else {
            media = legacyRemote(serverName, mediaId, timeout, access);
        }
        if ((access == Access.LEGACY || access == Access.LEGACY_LOCAL_ONLY)
                && !properties.servedUnauthenticated(media.storedTs())) {
            throw frozen(mxc);
        }
        return media;
    }

    /**
     * Deletes media (ours, or another server's we keep) with its thumbnails, for an admin; the
     * files go once nothing else refers to them. Nothing else deletes media: not a user's
     * deactivation, not leaving rooms.
     */
    Map<String, Object> delete(ClientUser admin, String serverName, String mediaId) {
        if (!admin.admin()) {
            throw MatrixException.forbidden("Only server admins may delete media");
        }
        MediaIds.require(serverName, mediaId);
        if (records.find(serverName, mediaId).isEmpty()) {
            throw MatrixException.notFound("There is no media mxc://" + serverName + "/" + mediaId + " here");
        }
        records.delete(serverName, mediaId).forEach(store::delete);
        log.info("{} deleted mxc://{}/{}", admin.userId(), serverName, mediaId);
        return Map.of("deleted_media", List.of(mediaId), "total", 1);
    }

    /** {@code /config}: the upload limit (spec authed-content-repo.yaml). */
    Map<String, Object> config() {
        return Map.of("m.upload.size", properties.maxUploadSize().toBytes());
    }

    private MediaRecord local(String serverName, String mediaId, long timeoutMs) {
        String mxc = "mxc://" + serverName + "/" + mediaId;
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            MediaRecord media = records.find(serverName, mediaId)
                    .orElseThrow(() -> MatrixException.notFound("There is no media " + mxc));
            if (media.stored()) {
                return media;
            }
            if (media.unusedExpiresTs() != null && media.unusedExpiresTs() <= clock.millis()) {
                throw MatrixException.notFound("There is no media " + mxc + ": it was created but never uploaded");
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new MatrixException(504, Errcode.NOT_YET_UPLOADED, "The content of " + mxc
                        + " has not been uploaded yet");
            }
            // Polling, not a local signal: the upload may arrive at another instance on the database.
            try {
                Thread.sleep(Math.min(POLL_MS, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MatrixException(503, Errcode.UNKNOWN, "Interrupted while waiting for " + mxc);
            }
        }
    }

    /**
     * Remote media for an unauthenticated request: never with {@code allow_remote=false}; from
     * the cache; fetched only while unauthenticated access is not frozen, since media cached now
     * counts as new (spec §Client behaviour: "determined by the date the cache was populated").
     */
    private MediaRecord legacyRemote(String serverName, String mediaId, long timeoutMs, Access access) {
        String mxc = "mxc://" + serverName + "/" + mediaId;
        if (access == Access.LEGACY_LOCAL_ONLY) {
            throw MatrixException.notFound(mxc + " is not media of this server, and allow_remote is false");
        }
        return remote.cached(serverName, mediaId).orElseGet(() -> {
            if (!properties.servedUnauthenticated(clock.millis())) {
                throw frozen(mxc);
            }
            return remote.fetch(serverName, mediaId, timeoutMs);
        });
    }

    private static MatrixException frozen(String mxc) {
        return MatrixException.notFound(mxc + " is only served by the authenticated media endpoints "
                + "(/_matrix/client/v1/media/…): this server froze unauthenticated media access");
    }
}
