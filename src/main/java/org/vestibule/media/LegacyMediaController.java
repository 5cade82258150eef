package org.vestibule.media;

import java.util.Map;
import org.springframework.core.io.Resource;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.media.MediaRepository.Access;

/**
 * The deprecated {@code /_matrix/media/v3} download, thumbnail, config and preview endpoints
 * (spec content-repo.yaml). Downloads and thumbnails need no access token, so they serve only
 * media stored before {@code vestibule.media.legacy-cutoff} and answer 404 M_NOT_FOUND for the
 * rest, as the spec's freeze and MSC3916 ask.
 */
@RestController
class LegacyMediaController {

    private final MediaRepository repository;
    private final MediaThumbnails thumbnails;

    LegacyMediaController(MediaRepository repository, MediaThumbnails thumbnails) {
        this.repository = repository;
        this.thumbnails = thumbnails;
    }

    @GetMapping("/_matrix/media/{v:v3|r0|v1}/download/{serverName}/{mediaId}")
    ResponseEntity<Resource> download(@PathVariable String serverName, @PathVariable String mediaId,
                                      @RequestParam(name = "allow_remote", defaultValue = "true") boolean allowRemote,
                                      @RequestParam(name = "timeout_ms", required = false) Long timeoutMs) {
        return MediaResponses.download(repository.download(serverName, mediaId, timeoutMs, access(allowRemote)), false);
    }

    @GetMapping("/_matrix/media/{v:v3|r0|v1}/download/{serverName}/{mediaId}/{fileName}")
    ResponseEntity<Resource> downloadAs(@PathVariable String serverName, @PathVariable String mediaId,
                                        @PathVariable String fileName,
                                        @RequestParam(name = "allow_remote", defaultValue = "true") boolean allowRemote,
                                        @RequestParam(name = "timeout_ms", required = false) Long timeoutMs) {
        return MediaResponses.download(repository.download(serverName, mediaId, timeoutMs, access(allowRemote))
                .withFileName(fileName), false);
    }

    @GetMapping("/_matrix/media/{v:v3|r0|v1}/thumbnail/{serverName}/{mediaId}")
    ResponseEntity<Resource> thumbnail(@PathVariable String serverName, @PathVariable String mediaId,
                                       @RequestParam int width, @RequestParam int height,
                                       @RequestParam(required = false) String method,
                                       @RequestParam(required = false) Boolean animated,
                                       @RequestParam(name = "allow_remote", defaultValue = "true") boolean allowRemote,
                                       @RequestParam(name = "timeout_ms", required = false) Long timeoutMs) {
        return MediaResponses.thumbnail(thumbnails.thumbnail(serverName, mediaId, width, height, method, animated,
                timeoutMs, access(allowRemote)), false);
    }

    @GetMapping("/_matrix/media/{v:v3|r0|v1}/config")
    Map<String, Object> config(ClientUser user) {
        return repository.config();
    }

    @GetMapping("/_matrix/media/{v:v3|r0|v1}/preview_url")
    Map<String, Object> previewUrl(ClientUser user) {
        throw MediaController.previewsOff();
    }

    private static Access access(boolean allowRemote) {
        return allowRemote ? Access.LEGACY : Access.LEGACY_LOCAL_ONLY;
    }
}
