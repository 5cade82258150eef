package org.vestibule.media;

import java.util.Map;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;

/**
 * {@code DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}}, Synapse's admin API for removing
 * media, which tools already call: the one way media leaves this server.
 */
@RestController
class MediaAdminController {

    private final MediaRepository repository;

    MediaAdminController(MediaRepository repository) {
        this.repository = repository;
    }

    @DeleteMapping("/_synapse/admin/v1/media/{serverName}/{mediaId}")
    Map<String, Object> delete(ClientUser admin, @PathVariable String serverName, @PathVariable String mediaId) {
        return repository.delete(admin, serverName, mediaId);
    }
}
