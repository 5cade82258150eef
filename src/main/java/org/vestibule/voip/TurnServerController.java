package org.vestibule.voip;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;

/** {@code GET /voip/turnServer} (spec client-server §Voice over IP): an empty object when there is no TURN server. */
@RestController
class TurnServerController {

    private final TurnCredentials credentials;

    TurnServerController(TurnCredentials credentials) {
        this.credentials = credentials;
    }

    @GetMapping("/_matrix/client/{v:v3|r0}/voip/turnServer")
    Map<String, Object> turnServer(ClientUser user) {
        Map<String, Object> out = new LinkedHashMap<>();
        credentials.forUser(user.userId()).ifPresent(c -> {
            out.put("username", c.username());
            out.put("password", c.password());
            out.put("uris", c.uris());
            out.put("ttl", c.ttl());
        });
        return out;
    }
}
