package org.vestibule.media;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Map;
import org.springframework.core.io.Resource;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.media.MediaRepository.Access;

/**
 * The content repository for our clients (spec client-server §Content repository): uploads under
 * {@code /_matrix/media} (not yet moved, v1.11), and the authenticated download, thumbnail,
 * config and preview endpoints under {@code /_matrix/client/v1/media} (MSC3916).
 */
@RestController
class MediaController {

    private final MediaUploads uploads;
    private final MediaRepository repository;
    private final MediaThumbnails thumbnails;

    MediaController(MediaUploads uploads, MediaRepository repository, MediaThumbnails thumbnails) {
        this.uploads = uploads;
        this.repository = repository;
        this.thumbnails = thumbnails;
    }

    @PostMapping("/_matrix/media/{v:v3|r0|v1}/upload")
    Map<String, Object> upload(ClientUser user, @RequestParam(required = false) String filename,
                               HttpServletRequest request) throws IOException {
        return Map.of("content_uri", uploads.upload(user, request.getContentType(), filename,
                request.getContentLengthLong(), request.getInputStream()));
    }

    @PostMapping("/_matrix/media/v1/create")
    Map<String, Object> create(ClientUser user) {
        return uploads.create(user);
    }

    @PutMapping("/_matrix/media/{v:v3|r0|v1}/upload/{serverName}/{mediaId}")
    Map<String, Object> uploadTo(ClientUser user, @PathVariable String serverName, @PathVariable String mediaId,
                                 @RequestParam(required = false) String filename, HttpServletRequest request)
            throws IOException {
        uploads.uploadTo(user, serverName, mediaId, request.getContentType(), filename, request.getContentLengthLong(),
                request.getInputStream());
        return Map.of();
    }

    @GetMapping("/_matrix/client/v1/media/download/{serverName}/{mediaId}")
    ResponseEntity<Resource> download(ClientUser user, @PathVariable String serverName, @PathVariable String mediaId,
                                      @RequestParam(name = "timeout_ms", required = false) Long timeoutMs) {
        return MediaResponses.download(repository.download(serverName, mediaId, timeoutMs, Access.CLIENT), true);
    }

    @GetMapping("/_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName}")
    ResponseEntity<Resource> downloadAs(ClientUser user, @PathVariable String serverName, @PathVariable String mediaId,
                                        @PathVariable String fileName,
                                        @RequestParam(name = "timeout_ms", required = false) Long timeoutMs) {
        return MediaResponses.download(repository.download(serverName, mediaId, timeoutMs, Access.CLIENT)
                .withFileName(fileName), true);
    }

    @GetMapping("/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}")
    ResponseEntity<Resource> thumbnail(ClientUser user, @PathVariable String serverName, @PathVariable String mediaId,
                                       @RequestParam int width, @RequestParam int height,
                                       @RequestParam(required = false) String method,
                                       @RequestParam(required = false) Boolean animated,
                                       @RequestParam(name = "timeout_ms", required = false) Long timeoutMs) {
        return MediaResponses.thumbnail(thumbnails.thumbnail(serverName, mediaId, width, height, method, animated,
                timeoutMs, Access.CLIENT), true);
    }

    @GetMapping("/_matrix/client/v1/media/config")
    Map<String, Object> config(ClientUser user) {
        return repository.config();
    }

    /**
     * URL previews are not built: the answer Synapse gives when they are off (404 M_UNRECOGNIZED),
     * which clients take as "no previews here".
     */
    @GetMapping("/_matrix/client/v1/media/preview_url")
    Map<String, Object> previewUrl(ClientUser user) {
        throw previewsOff();
    }

    static MatrixException previewsOff() {
        return new MatrixException(404, Errcode.UNRECOGNIZED, "URL previews are not enabled on this server");
    }
}
