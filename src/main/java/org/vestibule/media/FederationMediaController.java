package org.vestibule.media;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.federation.inbound.Origin;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.media.MediaRepository.Access;

/**
 * {@code GET /_matrix/federation/v1/media/download/{mediaId}} and {@code …/thumbnail/{mediaId}}
 * (spec server-server §Content Repository): our own media only, to any server whose X-Matrix
 * signature checks out, as multipart/mixed.
 */
@RestController
class FederationMediaController {

    private final MediaRepository repository;
    private final MediaThumbnails thumbnails;
    private final String serverName;

    FederationMediaController(MediaRepository repository, MediaThumbnails thumbnails,
                              ServerKeyring keyring) {
        this.repository = repository;
        this.thumbnails = thumbnails;
        this.serverName = keyring.serverName();
    }

    @GetMapping("/_matrix/federation/v1/media/download/{mediaId}")
    void download(Origin origin, @PathVariable String mediaId,
                  @RequestParam(name = "timeout_ms", required = false) Long timeoutMs, HttpServletResponse response)
            throws IOException {
        MediaResponses.multipart(repository.download(serverName, mediaId, timeoutMs, Access.FEDERATION), response);
    }

    @GetMapping("/_matrix/federation/v1/media/thumbnail/{mediaId}")
    void thumbnail(Origin origin, @PathVariable String mediaId, @RequestParam int width, @RequestParam int height,
                   @RequestParam(required = false) String method, @RequestParam(required = false) Boolean animated,
                   @RequestParam(name = "timeout_ms", required = false) Long timeoutMs, HttpServletResponse response)
            throws IOException {
        MediaResponses.multipart(thumbnails.thumbnail(serverName, mediaId, width, height, method, animated, timeoutMs,
                Access.FEDERATION), response);
    }
}
