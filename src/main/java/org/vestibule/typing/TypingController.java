package org.vestibule.typing;

import java.util.Map;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;

/** {@code PUT /rooms/{roomId}/typing/{userId}} (spec client-server §Typing Notifications, typing.yaml). */
@RestController
class TypingController {

    private final Typing typing;

    TypingController(Typing typing) {
        this.typing = typing;
    }

    @PutMapping("/_matrix/client/{v:v3|r0}/rooms/{roomId}/typing/{userId}")
    Map<String, Object> set(ClientUser user, @PathVariable String roomId, @PathVariable String userId,
                            @RequestBody(required = false) byte[] raw) {
        JsonBody body = JsonBody.parse(raw, JsonBody.SMALL);
        if (!body.map().containsKey("typing")) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "'typing' is required");
        }
        Object timeout = body.map().get("timeout");
        if (timeout != null && !(timeout instanceof Long)) {
            throw MatrixException.badJson("'timeout' must be an integer number of milliseconds");
        }
        typing.set(user, roomId, userId, body.bool("typing", false), (Long) timeout);
        return Map.of();
    }
}
