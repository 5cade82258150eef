package org.vestibule.federation.inbound;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.config.ServerVersion;

/** {@code GET /_matrix/federation/v1/version}: the one federation endpoint without authentication. */
@RestController
class VersionController {

    @GetMapping("/_matrix/federation/v1/version")
    Map<String, Object> version() {
        return Map.of("server", Map.of("name", ServerVersion.NAME, "version", ServerVersion.version()));
    }
}
