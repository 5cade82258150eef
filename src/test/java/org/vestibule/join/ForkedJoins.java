package org.vestibule.join;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.federation.outbound.FederationClient;
import org.vestibule.federation.outbound.FederationResponse;
import org.vestibule.support.TestHomeservers;

/**
 * Joins of our users to a room through its resident, every template made before the first join is
 * sent, as when they join at once: the resident makes each on the same event and answers each with
 * the state at its template (as Synapse does), so on our side each join is an extremity of its own.
 */
public final class ForkedJoins {

    private ForkedJoins() {
    }

    /**
     * Joins {@code userIds} of {@code ours} to {@code room} through {@code resident}, the first as any
     * join and the rest by hand, each answer stored as it comes with the memberships of
     * {@code leftOut} taken out of its state (a resident of ours answers with the joins it stored
     * meanwhile; Synapse, without them).
     */
    public static void join(TestHomeservers.Homeserver ours, String resident, String room, List<String> userIds,
                            Set<String> leftOut) throws Exception {
        MembershipTemplates templates = ours.bean(MembershipTemplates.class);
        List<MembershipTemplates.Signed> made = new ArrayList<>();
        for (String userId : userIds) {
            made.add(templates.make(resident, "join", room, userId, Map.of("membership", "join")));
        }
        ours.bean(RemoteJoins.class).joinWith(resident, room, made.get(0));
        for (MembershipTemplates.Signed m : made.subList(1, made.size())) {
            Pdu join = m.event();
            FederationResponse sent = ours.bean(FederationClient.class).put(resident,
                    "/_matrix/federation/v2/send_join/" + FederationClient.pathSegment(room) + "/"
                            + FederationClient.pathSegment(join.eventId()), join.json());
            Map<String, Object> answer = Json.mutableCopy(sent.object());
            answer.put("state", Json.list(answer, "state").stream()
                    .filter(e -> !leftOut.contains(((Map<?, ?>) e).get("state_key"))).toList());
            JoinedRoomWriter writer = ours.bean(JoinedRoomWriter.class);
            writer.persist(resident, room, m.version(), join, writer.check(resident, room, m.version(), answer), null);
        }
    }
}
