package org.vestibule.auth;

import org.vestibule.event.Pdu;

/** A slot of room state: an event type and a state key. */
public record StateKey(String type, String stateKey) implements Comparable<StateKey> {

    public static final StateKey CREATE = new StateKey("m.room.create", "");
    public static final StateKey POWER_LEVELS = new StateKey("m.room.power_levels", "");
    public static final StateKey JOIN_RULES = new StateKey("m.room.join_rules", "");
    public static final StateKey HISTORY_VISIBILITY = new StateKey("m.room.history_visibility", "");
    public static final StateKey NAME = new StateKey("m.room.name", "");
    public static final StateKey CANONICAL_ALIAS = new StateKey("m.room.canonical_alias", "");
    public static final StateKey TOPIC = new StateKey("m.room.topic", "");
    public static final StateKey SERVER_ACL = new StateKey("m.room.server_acl", "");

    public StateKey {
        if (type == null || stateKey == null) {
            throw new IllegalArgumentException("a state key needs a type and a state_key");
        }
    }

    /** The slot of a member event for a user. */
    public static StateKey member(String userId) {
        return new StateKey("m.room.member", userId);
    }

    /** The slot a state event fills. */
    public static StateKey of(Pdu stateEvent) {
        if (!stateEvent.isState()) {
            throw new IllegalArgumentException(stateEvent + " is not a state event");
        }
        return new StateKey(stateEvent.type(), stateEvent.stateKey());
    }

    @Override
    public int compareTo(StateKey o) {
        int c = type.compareTo(o.type);
        return c != 0 ? c : stateKey.compareTo(o.stateKey);
    }

    @Override
    public String toString() {
        return "(" + type + ", " + stateKey + ")";
    }
}
