package org.vestibule.join;

import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.MatrixException;
import org.vestibule.federation.inbound.Origin;

/**
 * make_join, send_join (v1 and v2), make_leave and send_leave (v1 and v2): thin wrappers over
 * {@link ResidentJoins} (spec server-server §Joining Rooms, §Leaving Rooms).
 */
@RestController
class FederationMembershipController {

    private final ResidentJoins joins;

    FederationMembershipController(ResidentJoins joins) {
        this.joins = joins;
    }

    @GetMapping("/_matrix/federation/v1/make_join/{roomId}/{userId}")
    Map<String, Object> makeJoin(Origin origin, @PathVariable String roomId, @PathVariable String userId,
                                 @RequestParam(name = "ver", required = false) List<String> ver) {
        // Servers that send no ver only support room version 1 (spec joins-v1.yaml).
        return joins.makeJoin(origin.serverName(), roomId, userId, ver == null || ver.isEmpty() ? List.of("1") : ver);
    }

    @PutMapping("/_matrix/federation/v2/send_join/{roomId}/{eventId}")
    ResponseEntity<byte[]> sendJoinV2(Origin origin, @PathVariable String roomId, @PathVariable String eventId,
                                      @RequestParam(name = "omit_members", required = false) String omitMembers,
                                      @RequestBody(required = false) byte[] body) {
        return json(joins.sendJoin(origin.serverName(), roomId, eventId, body(body), flag(omitMembers)).toJsonBytes(false));
    }

    /** The deprecated v1 form answers {@code [200, {...}]} and has no partial state. */
    @PutMapping("/_matrix/federation/v1/send_join/{roomId}/{eventId}")
    ResponseEntity<byte[]> sendJoinV1(Origin origin, @PathVariable String roomId, @PathVariable String eventId,
                                      @RequestBody(required = false) byte[] body) {
        return json(joins.sendJoin(origin.serverName(), roomId, eventId, body(body), false).toJsonBytes(true));
    }

    private static ResponseEntity<byte[]> json(byte[] body) {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }

    @GetMapping("/_matrix/federation/v1/make_leave/{roomId}/{userId}")
    Map<String, Object> makeLeave(Origin origin, @PathVariable String roomId, @PathVariable String userId) {
        return joins.makeLeave(origin.serverName(), roomId, userId);
    }

    @PutMapping("/_matrix/federation/v2/send_leave/{roomId}/{eventId}")
    Map<String, Object> sendLeaveV2(Origin origin, @PathVariable String roomId, @PathVariable String eventId,
                                    @RequestBody(required = false) byte[] body) {
        joins.sendLeave(origin.serverName(), roomId, eventId, body(body));
        return Map.of();
    }

    @PutMapping("/_matrix/federation/v1/send_leave/{roomId}/{eventId}")
    List<Object> sendLeaveV1(Origin origin, @PathVariable String roomId, @PathVariable String eventId,
                             @RequestBody(required = false) byte[] body) {
        joins.sendLeave(origin.serverName(), roomId, eventId, body(body));
        return List.of(200, Map.of());
    }

    private static byte[] body(byte[] body) {
        if (body == null || body.length == 0) {
            throw MatrixException.badJson("The request body must be the signed event");
        }
        return body;
    }

    /** MSC3706: omit_members is true or false; anything else is M_INVALID_PARAM. */
    static boolean flag(String value) {
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw MatrixException.invalidParam("omit_members must be true or false, not '" + value + "'");
    }
}
