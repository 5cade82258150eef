package org.vestibule.media;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the content repository.
 *
 * @param maxUploadSize     the largest upload we take (413 M_TOO_LARGE beyond), and the largest remote
 *                          media we fetch (502 M_TOO_LARGE beyond); advertised as {@code m.upload.size}
 * @param storageDir        where media files live; unset: {@code <vestibule.data-dir>/media}
 * @param legacyCutoff      media stored here before this instant is still served by the deprecated,
 *                          unauthenticated {@code /_matrix/media/v3/download|thumbnail}; media stored at
 *                          or after it only by the authenticated endpoints (the spec's "freeze"). Unset:
 *                          the unauthenticated endpoints serve nothing
 * @param maxImagePixels    the largest image (width × height) we decode for thumbnails
 * @param maxPendingUploads how many {@code /create}d media IDs a user may hold without content
 * @param unusedExpiry      how long a {@code /create}d media ID waits for its content
 * @param userQuota         the most bytes of uploads one user may have stored (403 M_FORBIDDEN
 *                          beyond); unset: no quota
 */
@ConfigurationProperties("vestibule.media")
public record MediaProperties(
        @DefaultValue("50MB") DataSize maxUploadSize,
        Path storageDir,
        Instant legacyCutoff,
        @DefaultValue("33554432") long maxImagePixels,
        @DefaultValue("5") int maxPendingUploads,
        @DefaultValue("24h") Duration unusedExpiry,
        DataSize userQuota) {

    public MediaProperties {
        if (maxUploadSize.toBytes() <= 0) {
            throw new IllegalArgumentException("vestibule.media.max-upload-size must be positive");
        }
        if (maxImagePixels <= 0 || maxPendingUploads < 0 || unusedExpiry.isNegative()) {
            throw new IllegalArgumentException("vestibule.media.max-image-pixels, max-pending-uploads and "
                    + "unused-expiry must not be negative");
        }
    }

    /** Whether media stored at {@code storedTs} may go out on the unauthenticated endpoints. */
    boolean servedUnauthenticated(long storedTs) {
        return legacyCutoff != null && storedTs < legacyCutoff.toEpochMilli();
    }
}
