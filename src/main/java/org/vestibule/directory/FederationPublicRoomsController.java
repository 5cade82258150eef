package org.vestibule.directory;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.JsonBody;
import org.vestibule.error.MatrixException;
import org.vestibule.federation.inbound.Origin;

/**
 * {@code GET} and {@code POST /_matrix/federation/v1/publicRooms} (spec server-server §Public room
 * directory): our own directory only, never rooms other servers list.
 */
@RestController
class FederationPublicRoomsController {

    private final PublicRoomDirectory directory;
    private final DirectoryProperties properties;

    FederationPublicRoomsController(PublicRoomDirectory directory, DirectoryProperties properties) {
        this.directory = directory;
        this.properties = properties;
    }

    @GetMapping("/_matrix/federation/v1/publicRooms")
    Map<String, Object> list(Origin origin, @RequestParam(required = false) Integer limit,
                             @RequestParam(required = false) String since,
                             @RequestParam(name = "third_party_instance_id", required = false) String network) {
        requireOpen(origin);
        return directory.localRooms(PublicRoomsQuery.of(limit, since, network));
    }

    @PostMapping("/_matrix/federation/v1/publicRooms")
    Map<String, Object> search(Origin origin, @RequestBody(required = false) byte[] raw) {
        requireOpen(origin);
        return directory.localRooms(PublicRoomsQuery.fromJson(JsonBody.parse(raw, JsonBody.SMALL)));
    }

    private void requireOpen(Origin origin) {
        if (!properties.publicRoomsOverFederation()) {
            // Synapse's answer when allow_public_rooms_over_federation is off.
            throw MatrixException.forbidden("This server does not list its public rooms to other servers ("
                    + origin.serverName() + " asked)");
        }
    }
}
