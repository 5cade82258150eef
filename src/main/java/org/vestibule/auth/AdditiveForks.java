package org.vestibule.auth;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vestibule.event.Pdu;

/**
 * State resolution v2's common case without walking the room's auth history: forks that only
 * add state the others lack, such as concurrent joins of different users.
 *
 * <p>When every conflicted slot is one that some forks fill with the same event and the others
 * lack, every conflicted event is a non-power event, each names as auth events only events that
 * are the unconflicted state's own entries, and the slots its auth rules read are unconflicted
 * (or its own), then the auth
 * difference is exactly the conflicted events, there are no power events to order, and each
 * event's iterative auth check reads the unconflicted state alone. The v2 result is then the
 * unconflicted state plus the conflicted events that pass their auth check against it, which is
 * what this computes. In any other case it answers null and the full algorithm runs.
 */
final class AdditiveForks {

    private AdditiveForks() {}

    /** The resolved state, or null when the forks are not purely additive. */
    static Map<StateKey, String> resolve(List<Map<StateKey, String>> sets, EventLookup lookup) {
        Map<StateKey, String> unconflicted = new HashMap<>();
        Map<StateKey, String> additions = new HashMap<>();
        Set<StateKey> keys = new HashSet<>();
        for (Map<StateKey, String> set : sets) {
            keys.addAll(set.keySet());
        }
        for (StateKey key : keys) {
            String common = null;
            int holders = 0;
            boolean same = true;
            for (Map<StateKey, String> set : sets) {
                String id = set.get(key);
                if (id == null) {
                    continue;
                }
                if (holders > 0 && !id.equals(common)) {
                    same = false;
                }
                common = id;
                holders++;
            }
            if (!same) {
                return null; // forks disagree on a slot: not additive
            }
            if (holders == sets.size()) {
                unconflicted.put(key, common);
            } else {
                additions.put(key, common); // some forks added it, the others lack the slot
            }
        }
        if (additions.isEmpty()) {
            return unconflicted;
        }
        Set<String> unconflictedIds = new HashSet<>(unconflicted.values());
        Map<StateKey, String> resolved = new HashMap<>(unconflicted);
        for (Map.Entry<StateKey, String> addition : additions.entrySet()) {
            Pdu event = lookup.get(addition.getValue());
            if (event == null || lookup.isRejected(event.eventId()) || StateResolver.isPowerEvent(event)) {
                return null;
            }
            for (String authId : event.authEvents()) {
                if (!unconflictedIds.contains(authId) || lookup.isRejected(authId)) {
                    return null;
                }
            }
            for (StateKey needed : AuthEventSelection.select(event)) {
                if (!needed.equals(addition.getKey()) && !unconflicted.containsKey(needed)
                        && additions.containsKey(needed)) {
                    return null; // its auth would read another fork's addition
                }
            }
            Map<StateKey, Pdu> auth = StateResolver.authState(event, unconflicted::get, lookup, true);
            if (AuthRules.check(event, auth).allowed()) {
                resolved.put(addition.getKey(), event.eventId());
            }
        }
        return resolved;
    }
}
