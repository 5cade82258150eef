package org.vestibule.clientapi;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientProperties;
import org.vestibule.accounts.ClientUser;
import org.vestibule.event.RoomVersions;

/** {@code /versions} and {@code /capabilities}: what clients and test harnesses probe first. */
@RestController
class CapabilitiesController {

    private final ClientProperties properties;

    CapabilitiesController(ClientProperties properties) {
        this.properties = properties;
    }

    @GetMapping("/_matrix/client/versions")
    Map<String, Object> versions() {
        return Map.of("versions", List.of("r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9",
                        "v1.10", "v1.11", "v1.12"),
                "unstable_features", Map.of());
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/capabilities")
    Map<String, Object> capabilities(ClientUser user) {
        Map<String, Object> available = new LinkedHashMap<>();
        RoomVersions.ids().forEach(id -> available.put(id, "stable"));
        return Map.of("capabilities", Map.of(
                "m.room_versions", Map.of("default", properties.defaultRoomVersion(), "available", available),
                "m.change_password", Map.of("enabled", false),
                "m.set_displayname", Map.of("enabled", true),
                "m.set_avatar_url", Map.of("enabled", true),
                "m.profile_fields", Map.of("enabled", true, "allowed", List.of("displayname", "avatar_url")),
                "m.3pid_changes", Map.of("enabled", false)));
    }
}
