package org.vestibule.join;

/**
 * What we know of one allow condition of a restricted room (MSC3083): whether the joining user
 * is a member of the allowed room, as far as this server can tell.
 *
 * @param roomId the allowed room
 * @param status what we found
 */
public record ConditionCheck(String roomId, Status status) {

    public enum Status {
        /** The user is joined to the allowed room. */
        MEMBER,
        /** We are in the allowed room and the user is not joined to it. */
        NOT_MEMBER,
        /** We are not in the allowed room, so we cannot tell. */
        UNKNOWN_ROOM
    }

    String describe() {
        return switch (status) {
            case MEMBER -> roomId + " (the user is joined)";
            case NOT_MEMBER -> roomId + " (the user is not joined)";
            case UNKNOWN_ROOM -> roomId + " (this server is not in it, so it cannot check)";
        };
    }
}
