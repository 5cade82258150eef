package org.vestibule.directory;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.federation.inbound.Origin;
import org.vestibule.keys.ServerKeyring;

/** {@code GET /query/directory} (spec server-server §Querying for information). */
@RestController
class FederationDirectoryController {

    private final RoomAliases aliases;
    private final ServerKeyring keyring;

    FederationDirectoryController(RoomAliases aliases, ServerKeyring keyring) {
        this.aliases = aliases;
        this.keyring = keyring;
    }

    @GetMapping("/_matrix/federation/v1/query/directory")
    Map<String, Object> directory(Origin origin, @RequestParam(name = "room_alias") String roomAlias) {
        if (!Identifiers.isRoomAlias(roomAlias)) {
            throw MatrixException.invalidParam("'" + roomAlias + "' is not a room alias");
        }
        if (!keyring.isOurs(Identifiers.serverOf(roomAlias).orElseThrow())) {
            throw MatrixException.invalidParam("Room alias " + roomAlias + " is not hosted on this server");
        }
        RoomAliases.Resolved r = aliases.resolveLocal(roomAlias)
                .orElseThrow(() -> MatrixException.notFound("Room alias " + roomAlias + " not found"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room_id", r.roomId());
        out.put("servers", r.servers());
        return out;
    }
}
