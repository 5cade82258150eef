package org.vestibule.room;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A room's current state and forward extremities as of one {@code state_version}, with the servers
 * that have joined members (kept up to date incrementally, so asking costs nothing however big the
 * room is).
 *
 * @param roomId             the room
 * @param stateVersion       the rooms.state_version this snapshot matches
 * @param state              the resolved current state
 * @param extremities        the forward extremities
 * @param stateGroup         the state group holding {@code state}, when one does (null after a merge not yet stored)
 * @param joinedServerCounts joined members per server, servers without any left out
 * @param partialState       whether we hold the room with partial state (joined with members
 *                           omitted, the full state not fetched yet): flagging and clearing each
 *                           move the state version, so the flag belongs to the snapshot
 */
public record RoomSnapshot(String roomId, long stateVersion, RoomState state, List<String> extremities, Long stateGroup,
                           Map<String, Integer> joinedServerCounts, boolean partialState) {

    /** The servers with at least one joined member. */
    public Set<String> joinedServers() {
        return joinedServerCounts.keySet();
    }

    public boolean isJoined(String server) {
        return joinedServerCounts.containsKey(server);
    }
}
