package org.vestibule.join;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.vestibule.accounts.AccountService;
import org.vestibule.event.Identifiers;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.EventGraph;
import org.vestibule.room.LocalEvents;
import org.vestibule.room.OutOfBandMemberships;
import org.vestibule.room.RoomMemberships;

/**
 * Our users knocking (spec client-server §Knocking on rooms): in a room we are in, the knock is a
 * local event and the auth rules decide; elsewhere it goes through make_knock / send_knock and is
 * kept as an out-of-band membership, with the room's stripped state, until an invite, a refusal
 * or a leave ends it.
 */
@Service
public class KnockService {

    private final JoinService joins;
    private final EventGraph graph;
    private final LocalEvents localEvents;
    private final RoomMemberships memberships;
    private final OutOfBandMemberships outOfBand;
    private final RemoteMemberships remote;
    private final ServerKeyring keyring;
    private final AccountService accounts;

    KnockService(JoinService joins, EventGraph graph, LocalEvents localEvents, RoomMemberships memberships,
                 OutOfBandMemberships outOfBand, RemoteMemberships remote, ServerKeyring keyring,
                 AccountService accounts) {
        this.joins = joins;
        this.graph = graph;
        this.localEvents = localEvents;
        this.memberships = memberships;
        this.outOfBand = outOfBand;
        this.remote = remote;
        this.keyring = keyring;
        this.accounts = accounts;
    }

    /** Knocks and returns the room ID. */
    public String knock(String userId, String roomIdOrAlias, List<String> servers, String reason) {
        JoinService.Target target = joins.target(roomIdOrAlias, servers);
        String roomId = target.roomId();
        Map<String, Object> content = new LinkedHashMap<>(accounts.memberContent(userId));
        content.put("membership", "knock");
        if (reason != null) {
            content.put("reason", reason);
        }
        if (graph.roomVersion(roomId).isPresent() && memberships.isServerJoined(roomId, keyring.serverName())) {
            // The auth rules refuse (403) knocks where the join rule does not allow them, and by
            // users already joined, invited or banned.
            localEvents.send(roomId, userId, "m.room.member", userId, content);
            return roomId;
        }
        LinkedHashSet<String> candidates = new LinkedHashSet<>(target.servers());
        if (candidates.isEmpty()) {
            Identifiers.serverOf(roomId).ifPresent(candidates::add);
        }
        outOfBand.find(roomId, userId).ifPresent(m -> candidates.addAll(m.servers()));
        RemoteMemberships.Knocked knocked = remote.knock(userId, roomId, candidates, content);
        List<String> through = new ArrayList<>();
        through.add(knocked.server());
        through.addAll(candidates);
        outOfBand.put(userId, knocked.event(), knocked.strippedState(), through);
        return roomId;
    }
}
