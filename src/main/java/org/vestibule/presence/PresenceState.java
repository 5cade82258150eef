package org.vestibule.presence;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A user's presence as stored (table {@code presence}).
 *
 * @param presence        {@code online}, {@code unavailable} or {@code offline}
 * @param statusMsg       null when none is set
 * @param lastActiveTs    when the user last did something (0: never seen)
 * @param currentlyActive whether the user is active now (shown for {@code online} only)
 * @param lastSeenTs      our users: until when they are known to be connected (the end of their last
 *                        sync, or the latest a sync in progress may end; a presence update); others:
 *                        their server's last EDU
 * @param federatedTs     our users: when the servers sharing a room with them were last told
 */
record PresenceState(String userId, boolean local, String presence, String statusMsg, long lastActiveTs,
                     boolean currentlyActive, long lastSeenTs, long federatedTs) {

    static final String ONLINE = "online";
    static final String UNAVAILABLE = "unavailable";
    static final String OFFLINE = "offline";
    static final List<String> STATES = List.of(ONLINE, UNAVAILABLE, OFFLINE);

    static PresenceState offline(String userId, boolean local, long now) {
        return new PresenceState(userId, local, OFFLINE, null, now, false, now, 0);
    }

    PresenceState with(String presence, String statusMsg, long lastActiveTs, boolean currentlyActive, long lastSeenTs) {
        return new PresenceState(userId, local, presence, statusMsg, lastActiveTs, currentlyActive, lastSeenTs, federatedTs);
    }

    /** Whether a client would see the difference (what moves the stream, migration V35). */
    boolean visiblyDiffersFrom(PresenceState other) {
        return other == null || !presence.equals(other.presence) || !Objects.equals(statusMsg, other.statusMsg)
                || currentlyActive != other.currentlyActive;
    }

    /**
     * The content clients see, as Synapse shapes it: {@code last_active_ago} when known,
     * {@code status_msg} when set, {@code currently_active} when online.
     */
    Map<String, Object> content(long now) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("presence", presence);
        if (lastActiveTs > 0) {
            content.put("last_active_ago", Math.max(0, now - lastActiveTs));
        }
        if (statusMsg != null) {
            content.put("status_msg", statusMsg);
        }
        if (ONLINE.equals(presence)) {
            content.put("currently_active", currentlyActive);
        }
        return content;
    }

    /** One entry of an m.presence EDU's {@code push} (spec server-server §Presence: last_active_ago is required). */
    Map<String, Object> push(long now) {
        Map<String, Object> push = new LinkedHashMap<>();
        push.put("user_id", userId);
        push.put("presence", presence);
        push.put("last_active_ago", Math.max(0, now - lastActiveTs));
        if (statusMsg != null) {
            push.put("status_msg", statusMsg);
        }
        push.put("currently_active", currentlyActive);
        return push;
    }
}
