package org.vestibule.room;

import java.util.List;

/**
 * A room's current state and forward extremities as of one {@code state_version}.
 *
 * @param stateVersion  the rooms.state_version this snapshot matches
 * @param state         the resolved current state
 * @param extremities   the forward extremities
 * @param stateGroup    the state group holding {@code state}, when one does (null after a merge not yet stored)
 */
public record RoomSnapshot(long stateVersion, RoomState state, List<String> extremities, Long stateGroup) {
}
