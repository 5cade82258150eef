package org.vestibule.auth;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
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
        Set<StateKey> passed = passing(additions, unconflicted::get, unconflictedIds::contains, lookup);
        if (passed == null) {
            return null;
        }
        Map<StateKey, String> resolved = new HashMap<>(unconflicted);
        passed.forEach(key -> resolved.put(key, additions.get(key)));
        return resolved;
    }

    /**
     * The same resolution for forks given as one fork's state and each other fork's differences
     * from it ({@code null}: the slot is absent there), read only at the slots that differ: the
     * changes to the reference state that give the resolved one, or null when the forks are not
     * purely additive. A room's forks share all but a few slots, so this costs what they differ in.
     */
    static Map<StateKey, String> resolveChanges(Function<StateKey, String> reference,
                                                List<Map<StateKey, String>> differences, EventLookup lookup) {
        Set<StateKey> differing = new HashSet<>();
        differences.forEach(d -> differing.addAll(d.keySet()));
        Map<StateKey, String> additions = new HashMap<>();
        Map<StateKey, String> agreed = new HashMap<>(); // listed as differing, yet every fork holds the same
        for (StateKey key : differing) {
            String mine = reference.apply(key);
            String common = mine;
            int holders = mine == null ? 0 : 1;
            for (Map<StateKey, String> d : differences) {
                String id = d.containsKey(key) ? d.get(key) : mine;
                if (id == null) {
                    continue;
                }
                if (common != null && !id.equals(common)) {
                    return null; // forks disagree on a slot: not additive
                }
                common = id;
                holders++;
            }
            if (holders == differences.size() + 1) {
                agreed.put(key, common);
            } else {
                additions.put(key, common);
            }
        }
        Function<StateKey, String> unconflicted = key -> agreed.containsKey(key) ? agreed.get(key)
                : differing.contains(key) ? null : reference.apply(key);
        // An event is an unconflicted entry when it is the one in its own slot there.
        Predicate<String> isUnconflicted = id -> {
            Pdu event = lookup.get(id);
            return event != null && event.stateKey() != null && id.equals(unconflicted.apply(StateKey.of(event)));
        };
        Set<StateKey> passed = passing(additions, unconflicted, isUnconflicted, lookup);
        if (passed == null) {
            return null;
        }
        Map<StateKey, String> changes = new HashMap<>();
        for (StateKey key : differing) {
            String resolved = passed.contains(key) ? additions.get(key) : agreed.get(key);
            if (!Objects.equals(resolved, reference.apply(key))) {
                changes.put(key, resolved);
            }
        }
        return changes;
    }

    /**
     * The additions whose auth check passes against the unconflicted state, or null when one of
     * them breaks the shortcut's conditions (unknown, rejected, a power event, authorised by
     * anything but unconflicted entries, or reading another fork's addition).
     */
    private static Set<StateKey> passing(Map<StateKey, String> additions, Function<StateKey, String> unconflicted,
                                         Predicate<String> isUnconflicted, EventLookup lookup) {
        Set<StateKey> passed = new HashSet<>();
        for (Map.Entry<StateKey, String> addition : additions.entrySet()) {
            Pdu event = lookup.get(addition.getValue());
            if (event == null || lookup.isRejected(event.eventId()) || StateResolver.isPowerEvent(event)) {
                return null;
            }
            for (String authId : event.authEvents()) {
                if (!isUnconflicted.test(authId) || lookup.isRejected(authId)) {
                    return null;
                }
            }
            for (StateKey needed : AuthEventSelection.select(event)) {
                if (!needed.equals(addition.getKey()) && additions.containsKey(needed)) {
                    return null; // its auth would read another fork's addition
                }
            }
            Map<StateKey, Pdu> auth = StateResolver.authState(event, unconflicted, lookup, true);
            if (AuthRules.check(event, auth).allowed()) {
                passed.add(addition.getKey());
            }
        }
        return passed;
    }
}
