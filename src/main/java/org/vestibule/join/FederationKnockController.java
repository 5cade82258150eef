package org.vestibule.join;

import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.federation.inbound.Origin;

/** make_knock and send_knock (spec server-server §Knocking upon a room): thin wrappers over {@link ResidentJoins}. */
@RestController
class FederationKnockController {

    private final ResidentJoins joins;

    FederationKnockController(ResidentJoins joins) {
        this.joins = joins;
    }

    /** Unlike make_join, {@code ver} is required (knocking came with room version 7). */
    @GetMapping("/_matrix/federation/v1/make_knock/{roomId}/{userId}")
    Map<String, Object> makeKnock(Origin origin, @PathVariable String roomId, @PathVariable String userId,
                                  @RequestParam(name = "ver", required = false) List<String> ver) {
        if (ver == null || ver.isEmpty()) {
            throw new MatrixException(400, Errcode.MISSING_PARAM, "ver, the room versions your server supports, is required");
        }
        return joins.makeKnock(origin.serverName(), roomId, userId, ver);
    }

    @PutMapping("/_matrix/federation/v1/send_knock/{roomId}/{eventId}")
    Map<String, Object> sendKnock(Origin origin, @PathVariable String roomId, @PathVariable String eventId,
                                  @RequestBody(required = false) byte[] body) {
        if (body == null || body.length == 0) {
            throw MatrixException.badJson("The request body must be the signed knock event");
        }
        return joins.sendKnock(origin.serverName(), roomId, eventId, body);
    }
}
