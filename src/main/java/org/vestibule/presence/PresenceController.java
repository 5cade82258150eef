package org.vestibule.presence;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;

/** {@code PUT}/{@code GET /presence/{userId}/status} (spec client-server §Presence, presence.yaml). */
@RestController
class PresenceController {

    private final Presence presence;

    PresenceController(Presence presence) {
        this.presence = presence;
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/presence/{userId}/status")
    Map<String, Object> set(ClientUser user, @PathVariable String userId, @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw, JsonBody.SMALL);
        presence.set(user, userId, body.requireString("presence"), body.string("status_msg"));
        return Map.of();
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/presence/{userId}/status")
    Map<String, Object> get(ClientUser user, @PathVariable String userId) {
        return presence.get(user, userId);
    }
}
