package org.vestibule.invite;

import java.util.Map;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.JsonBody;

/** {@code POST /rooms/{roomId}/invite} (spec client-server §Room membership, invite). */
@RestController
class InviteController {

    private final Invites invites;

    InviteController(Invites invites) {
        this.invites = invites;
    }

    @PostMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/invite")
    Map<String, Object> invite(ClientUser user, @PathVariable String roomId, @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw);
        invites.invite(roomId, user.userId(), body.requireString("user_id"), body.string("reason"));
        return Map.of();
    }
}
