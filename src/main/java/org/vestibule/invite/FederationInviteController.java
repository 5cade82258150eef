package org.vestibule.invite;

import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.Errcode;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;
import org.vestibule.event.MalformedJsonException;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.federation.inbound.Origin;

/** {@code PUT /v2/invite} and the old {@code /v1/invite} (spec server-server §Inviting to a room). */
@RestController
class FederationInviteController {

    private final Invites invites;

    FederationInviteController(Invites invites) {
        this.invites = invites;
    }

    @PutMapping("/_matrix/federation/v2/invite/{roomId}/{eventId}")
    Map<String, Object> inviteV2(Origin origin, @PathVariable String roomId, @PathVariable String eventId,
                                 @RequestBody(required = false) byte[] body) {
        return invites.receiveV2(origin.serverName(), roomId, eventId, parse(body));
    }

    /** v1 answers {@code [200, {"event": ...}]}. */
    @PutMapping("/_matrix/federation/v1/invite/{roomId}/{eventId}")
    List<Object> inviteV1(Origin origin, @PathVariable String roomId, @PathVariable String eventId,
                          @RequestBody(required = false) byte[] body) {
        return List.of(200, invites.receiveV1(origin.serverName(), roomId, eventId, parse(body)));
    }

    private static Map<String, Object> parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw MatrixException.badJson("The request body is required");
        }
        try {
            return StrictJsonParser.parseObject(body, StrictJsonParser.Limits.REQUEST);
        } catch (MalformedJsonException e) {
            throw JsonBody.notJson(e);
        }
    }
}
