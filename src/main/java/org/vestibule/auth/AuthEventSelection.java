package org.vestibule.auth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;

/**
 * Which state an event's {@code auth_events} must be drawn from (server-server spec §Auth events
 * selection).
 */
public final class AuthEventSelection {

    static final String MEMBER = "m.room.member";
    static final String CREATE = "m.room.create";
    static final String THIRD_PARTY_INVITE = "m.room.third_party_invite";
    static final String AUTHORISER = "join_authorised_via_users_server";

    private AuthEventSelection() {}

    /**
     * The state slots an event of this shape may cite as auth events, in a stable order:
     * <ul>
     *   <li>the create event, except in room version 12 (there the room ID names it);</li>
     *   <li>the power levels event;</li>
     *   <li>the sender's member event;</li>
     *   <li>for m.room.member: the target's member event; the join rules when membership is join,
     *       invite or knock; for an invite with {@code third_party_invite}, the
     *       m.room.third_party_invite event whose state_key is {@code signed.token}; for a join
     *       carrying {@code join_authorised_via_users_server} in a version with restricted rooms
     *       (v8+), that user's member event.</li>
     * </ul>
     * An {@code m.room.create} event selects nothing. Each slot appears once. The slots are
     * "if any": an event need not cite a slot the room lacks.
     */
    public static List<StateKey> select(RoomVersion version, String type, String stateKey, String sender,
                                        Map<String, Object> content) {
        if (CREATE.equals(type)) {
            return List.of();
        }
        LinkedHashSet<StateKey> keys = new LinkedHashSet<>();
        if (!version.roomIdIsCreateEventHash()) {
            keys.add(StateKey.CREATE);
        }
        keys.add(StateKey.POWER_LEVELS);
        keys.add(StateKey.member(sender));
        if (MEMBER.equals(type) && stateKey != null) {
            Object membership = content.get("membership");
            keys.add(StateKey.member(stateKey));
            if ("join".equals(membership) || "invite".equals(membership) || "knock".equals(membership)) {
                keys.add(StateKey.JOIN_RULES);
            }
            if ("invite".equals(membership) && content.get("third_party_invite") instanceof Map<?, ?> tpi
                    && tpi.get("signed") instanceof Map<?, ?> signed && signed.get("token") instanceof String token) {
                keys.add(new StateKey(THIRD_PARTY_INVITE, token));
            }
            if ("join".equals(membership) && version.restricted() && content.get(AUTHORISER) instanceof String user) {
                keys.add(StateKey.member(user));
            }
        }
        return List.copyOf(new ArrayList<>(keys));
    }

    /** The selection for an existing event. */
    public static List<StateKey> select(Pdu event) {
        return select(event.roomVersion(), event.type(), event.stateKey(), event.sender(), event.content());
    }
}
