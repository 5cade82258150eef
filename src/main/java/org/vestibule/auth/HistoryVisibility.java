package org.vestibule.auth;

import java.util.Collection;
import java.util.List;

/**
 * Who may see an event of a room (spec client-server §Room History Visibility, server behaviour),
 * decided from the state at that event: the room's {@code m.room.history_visibility} and the
 * viewer's membership then. The same rule for servers is Synapse's {@code filter_events_for_server},
 * which the spec leaves to implementations: a server may have an event when the room's history
 * was {@code shared} or {@code world_readable} then, or when one of its users could see it.
 *
 * <p>"The state at an event" is the state after it (what it saw, and itself for a state event),
 * with the spec's two exceptions: a history visibility event is judged by the less restrictive of
 * the settings before and after it, and a user's own member event by the more joined of their
 * memberships before and after it.
 */
public final class HistoryVisibility {

    /** The four settings, from the least restrictive; anything else counts as {@code shared}. */
    public enum Setting {
        WORLD_READABLE("world_readable"), SHARED("shared"), INVITED("invited"), JOINED("joined");

        private final String value;

        Setting(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }

        /** The setting a history visibility event's content names; absent or not understood: {@code shared}. */
        public static Setting of(Object value) {
            for (Setting s : values()) {
                if (s.value.equals(value)) {
                    return s;
                }
            }
            return SHARED;
        }

        Setting leastRestrictive(Setting other) {
            return ordinal() <= other.ordinal() ? this : other;
        }
    }

    /** From most to least joined (Synapse's order), for a user's own member events. */
    private static final List<String> MEMBERSHIP_ORDER = List.of("join", "invite", "knock", "leave", "ban");

    /**
     * What the rule needs to know of one event for one user.
     *
     * @param historyVisibilityEvent the event is an {@code m.room.history_visibility} event
     * @param ownMemberEvent         the event is the viewer's own {@code m.room.member} event
     * @param settingBefore          the setting in the state before the event
     * @param settingAfter           the setting in the state after it
     * @param membershipBefore       the viewer's membership before it, or null for none
     * @param membershipAfter        the viewer's membership after it, or null for none
     */
    public record AtEvent(boolean historyVisibilityEvent, boolean ownMemberEvent, Setting settingBefore,
                          Setting settingAfter, String membershipBefore, String membershipAfter) {

        /** An event that is neither of the two exceptions: the state after it is all that counts. */
        public static AtEvent plain(Setting setting, String membership) {
            return new AtEvent(false, false, setting, setting, membership, membership);
        }
    }

    private HistoryVisibility() {}

    /**
     * Whether a user may see an event.
     *
     * @param peeking the user is not in the room and never joined it since the event (a non-member
     *                reading a {@code world_readable} room): {@code shared} history is not theirs
     */
    public static boolean userMaySee(AtEvent at, boolean peeking) {
        Setting setting = at.historyVisibilityEvent() ? at.settingBefore().leastRestrictive(at.settingAfter())
                : at.settingAfter();
        // 1. world_readable: anyone.
        if (setting == Setting.WORLD_READABLE) {
            return true;
        }
        String membership = at.ownMemberEvent() ? moreJoined(at.membershipBefore(), at.membershipAfter())
                : at.membershipAfter();
        // 2. Joined at the event.
        if ("join".equals(membership)) {
            return true;
        }
        // 3. shared, and the user joined at some point after the event (a member reading, not a peeker).
        if (setting == Setting.SHARED && !peeking) {
            return true;
        }
        // 4. Invited at the event, and the room says invited.
        return setting == Setting.INVITED && "invite".equals(membership);
    }

    /**
     * Whether a server may have an event as it is (else only its redacted form): when the setting
     * at the event is {@code shared} or {@code world_readable}, or one of its users was joined
     * then, or invited under {@code invited}.
     *
     * @param membershipsOfItsUsers the memberships of the server's users in the state after the event
     */
    public static boolean serverMaySee(Setting settingAfter, Collection<String> membershipsOfItsUsers) {
        if (settingAfter == Setting.WORLD_READABLE || settingAfter == Setting.SHARED) {
            return true;
        }
        for (String m : membershipsOfItsUsers) {
            if ("join".equals(m) || (settingAfter == Setting.INVITED && "invite".equals(m))) {
                return true;
            }
        }
        return false;
    }

    private static String moreJoined(String a, String b) {
        int ia = rank(a);
        int ib = rank(b);
        return ia <= ib ? a : b;
    }

    private static int rank(String membership) {
        int i = membership == null ? -1 : MEMBERSHIP_ORDER.indexOf(membership);
        return i < 0 ? MEMBERSHIP_ORDER.size() : i;
    }
}
