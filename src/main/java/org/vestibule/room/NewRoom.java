package org.vestibule.room;

import java.util.List;
import java.util.Map;
import org.vestibule.event.RoomVersion;

/**
 * Everything that shapes a new room (client-server {@code POST /createRoom}).
 *
 * @param creator                 the local user creating it
 * @param version                 its room version
 * @param preset                  private_chat, trusted_private_chat or public_chat
 * @param creationContent         extra create-event content (e.g. {@code type: m.space})
 * @param initialState            state events sent after the preset's, overriding them
 * @param powerLevelContentOverride merged over the default power levels
 * @param name                    m.room.name, if any
 * @param topic                   m.room.topic, if any
 * @param canonicalAlias          m.room.canonical_alias, if any
 * @param invite                  users to invite
 * @param isDirect                whether the invites mark a direct chat
 */
public record NewRoom(
        String creator,
        RoomVersion version,
        String preset,
        Map<String, Object> creationContent,
        List<StateEvent> initialState,
        Map<String, Object> powerLevelContentOverride,
        String name,
        String topic,
        String canonicalAlias,
        List<String> invite,
        boolean isDirect) {

    /** A state event to send: type, state key and content. */
    public record StateEvent(String type, String stateKey, Map<String, Object> content) {}
}
