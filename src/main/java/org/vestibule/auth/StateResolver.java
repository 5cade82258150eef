package org.vestibule.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Function;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;

/**
 * State resolution: merges the room states of several forks into one.
 *
 * <p>Room version 1 uses state resolution v1 (spec rooms/v1 §State resolution); versions 2–11
 * use v2 (rooms/v2 §State resolution); version 12 uses v2.1 (rooms/v12: iterative auth checks
 * start from an empty state and the full conflicted set also holds the conflicted state
 * subgraph).
 *
 * <p>Events the lookup doesn't know are left out: a state entry naming an unknown event can't be
 * authorised, so it only survives where it is unconflicted; an unknown auth event is as if it
 * were not listed. The lookup is asked once per event within one call. Nothing is kept between
 * calls.
 *
 * <p>Cost: v2 walks the auth DAG below the state sets once (each event fetched once, each edge
 * followed a small constant number of times), so a resolution is linear in the size of that DAG;
 * no conflicts, or fewer than two sets, return without touching the lookup at all.
 */
public final class StateResolver {

    private static final StateKey POWER_LEVELS = StateKey.POWER_LEVELS;

    private StateResolver() {}

    /**
     * Resolves state sets into one.
     *
     * @param version   the room version, which picks the algorithm
     * @param stateSets the states to merge, each mapping a state slot to an event ID
     * @param events    where to find events by ID (and whether they were rejected)
     * @return the resolved state, a new map the caller may keep and change
     */
    public static Map<StateKey, String> resolve(RoomVersion version, List<Map<StateKey, String>> stateSets,
                                                EventLookup events) {
        CachedLookup lookup = CachedLookup.of(events);
        if (version.stateResolution() == RoomVersion.StateResolution.V2 && stateSets.size() > 1) {
            Map<StateKey, String> additive = AdditiveForks.resolve(stateSets, lookup);
            if (additive != null) {
                return additive;
            }
        }
        return resolveFully(version, stateSets, lookup);
    }

    /**
     * {@link #resolve}'s answer when the forks only add to one another (concurrent joins), found
     * from the slots they differ in: the forks are one fork's state ({@code reference}) and each
     * other fork's differences from it (null: absent there). Gives the changes that turn the
     * reference into the resolved state, or empty when {@link #resolveFully} must run on whole sets.
     */
    public static Optional<Map<StateKey, String>> resolveAdditions(RoomVersion version, Function<StateKey, String> reference,
                                                                   List<Map<StateKey, String>> differences, EventLookup events) {
        if (version.stateResolution() != RoomVersion.StateResolution.V2) {
            return Optional.empty();
        }
        return Optional.ofNullable(AdditiveForks.resolveChanges(reference, differences, CachedLookup.of(events)));
    }

    /**
     * The full algorithm, without the additive-forks shortcut: for a caller that tried
     * {@link #resolveAdditions} already, and for tests that compare the two.
     */
    public static Map<StateKey, String> resolveFully(RoomVersion version, List<Map<StateKey, String>> stateSets,
                                                     EventLookup events) {
        if (stateSets.isEmpty()) {
            return new HashMap<>();
        }
        if (stateSets.size() == 1) {
            return new HashMap<>(stateSets.get(0));
        }
        CachedLookup lookup = CachedLookup.of(events);
        return switch (version.stateResolution()) {
            case V1 -> new V1(lookup).resolve(stateSets);
            case V2 -> new V2(version, lookup, false).resolve(stateSets);
            case V2_1 -> new V2(version, lookup, true).resolve(stateSets);
        };
    }

    /** The auth difference of state sets, as event IDs (for tests; resolution computes it on its own graph). */
    static Set<String> authDifference(List<Map<StateKey, String>> sets, EventLookup lookup) {
        Set<String> starts = new LinkedHashSet<>();
        sets.forEach(set -> starts.addAll(set.values()));
        AuthGraph graph = AuthGraph.build(starts, CachedLookup.of(lookup));
        return ids(graph, V2.authDifference(graph, sets));
    }

    /** The v2.1 conflicted state subgraph of conflicted events, as event IDs (for tests). */
    static Set<String> conflictedSubgraph(Set<String> conflicted, EventLookup lookup) {
        AuthGraph graph = AuthGraph.build(conflicted, CachedLookup.of(lookup));
        BitSet nodes = new BitSet(graph.size());
        for (String id : conflicted) {
            AuthGraph.Node node = graph.node(id);
            if (node != null) {
                nodes.set(node.index);
            }
        }
        return ids(graph, V2.conflictedSubgraph(graph, nodes));
    }

    private static Set<String> ids(AuthGraph graph, BitSet nodes) {
        Set<String> ids = new LinkedHashSet<>();
        for (int i = nodes.nextSetBit(0); i >= 0; i = nodes.nextSetBit(i + 1)) {
            ids.add(graph.node(i).id());
        }
        return ids;
    }

    /** Whether an event is a power event (rooms/v2 §Definitions). */
    static boolean isPowerEvent(Pdu event) {
        if (!event.isState()) {
            return false;
        }
        // Synapse and ruma also count m.room.create; the spec's definition doesn't, and it only
        // changes which ordering a create event in the full conflicted set goes through.
        return switch (event.type()) {
            case "m.room.power_levels", "m.room.join_rules" -> true;
            case "m.room.member" -> {
                String membership = event.membership().orElse("");
                yield ("leave".equals(membership) || "ban".equals(membership))
                        && !event.sender().equals(event.stateKey());
            }
            default -> false;
        };
    }

    /** Compares event IDs by code point, the order the spec's "less than" means for strings. */
    static int compareIds(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /**
     * The state to authorise an event against during resolution: the given state's entries for
     * the slots the event's auth rules need, falling back to the event's own auth events where the
     * state has none (spec rooms/v2 "Iterative auth checks"). Rejected events are never used.
     *
     * @param fallBackToAuthEvents false for v1, which authorises against the state alone
     */
    static Map<StateKey, Pdu> authState(Pdu event, Function<StateKey, String> state, EventLookup lookup,
                                        boolean fallBackToAuthEvents) {
        Map<StateKey, Pdu> auth = new HashMap<>();
        RoomVersion v = event.roomVersion();
        if (fallBackToAuthEvents) {
            for (String id : event.authEvents()) {
                Pdu pdu = lookup.get(id);
                if (pdu != null && pdu.isState() && !lookup.isRejected(id)) {
                    auth.put(StateKey.of(pdu), pdu);
                }
            }
            if (v.roomIdIsCreateEventHash() && event.roomId() != null && event.roomId().startsWith("!")) {
                // v12: the create event is named by the room ID, not listed in auth_events.
                String createId = "$" + event.roomId().substring(1);
                Pdu create = lookup.get(createId);
                if (create != null && !lookup.isRejected(createId)) {
                    auth.put(StateKey.CREATE, create);
                }
            }
        }
        Set<StateKey> keys = new LinkedHashSet<>(AuthEventSelection.select(event));
        keys.add(StateKey.CREATE);
        for (StateKey key : keys) {
            String id = state.apply(key);
            if (id == null) {
                continue;
            }
            Pdu pdu = lookup.get(id);
            if (pdu != null && !lookup.isRejected(id)) {
                auth.put(key, pdu);
            }
        }
        return auth;
    }

    // ==== state resolution v2 and v2.1 =========================================================

    private static final class V2 {
        private final RoomVersion version;
        private final CachedLookup lookup;
        private final boolean v21;

        V2(RoomVersion version, CachedLookup lookup, boolean v21) {
            this.version = version;
            this.lookup = lookup;
            this.v21 = v21;
        }

        Map<StateKey, String> resolve(List<Map<StateKey, String>> sets) {
            // Unconflicted: present in every set with one value. Anything else is conflicted,
            // including a slot some sets lack.
            Map<StateKey, String> unconflicted = new HashMap<>();
            Map<StateKey, Set<String>> conflicted = new HashMap<>();
            Set<StateKey> keys = new LinkedHashSet<>();
            for (Map<StateKey, String> set : sets) {
                keys.addAll(set.keySet());
            }
            for (StateKey key : keys) {
                Set<String> ids = new LinkedHashSet<>();
                boolean everywhere = true;
                for (Map<StateKey, String> set : sets) {
                    String id = set.get(key);
                    if (id == null) {
                        everywhere = false;
                    } else {
                        ids.add(id);
                    }
                }
                if (everywhere && ids.size() == 1) {
                    unconflicted.put(key, ids.iterator().next());
                } else {
                    conflicted.put(key, ids);
                }
            }
            if (conflicted.isEmpty()) {
                return unconflicted;
            }

            Set<String> starts = new LinkedHashSet<>();
            for (Map<StateKey, String> set : sets) {
                starts.addAll(set.values());
            }
            AuthGraph graph = AuthGraph.build(starts, lookup);
            int n = graph.size();

            BitSet conflictedNodes = new BitSet(n);
            for (Set<String> ids : conflicted.values()) {
                for (String id : ids) {
                    AuthGraph.Node node = graph.node(id);
                    if (node != null) {
                        conflictedNodes.set(node.index);
                    }
                }
            }

            BitSet full = new BitSet(n);
            full.or(conflictedNodes);
            full.or(authDifference(graph, sets));
            if (v21) {
                full.or(conflictedSubgraph(graph, conflictedNodes));
            }
            // Only state events can enter the state.
            for (int i = full.nextSetBit(0); i >= 0; i = full.nextSetBit(i + 1)) {
                if (!graph.node(i).event.isState()) {
                    full.clear(i);
                }
            }

            // Step 1: power events plus what of the full conflicted set their auth chains hold. The
            // spec says "the auth chain of P": we walk all of it. Synapse and ruma only walk through
            // events of the full conflicted set, so they miss conflicted events that a power event
            // reaches only through events outside it.
            BitSet underPower = new BitSet(n);
            for (int i = full.nextSetBit(0); i >= 0; i = full.nextSetBit(i + 1)) {
                if (isPowerEvent(graph.node(i).event)) {
                    underPower.set(i);
                }
            }
            for (int i = n - 1; i >= 0; i--) {
                if (underPower.get(i)) {
                    for (int a : graph.node(i).auth) {
                        underPower.set(a);
                    }
                }
            }
            BitSet powerSet = (BitSet) underPower.clone();
            powerSet.and(full);
            List<AuthGraph.Node> sortedPower = reverseTopologicalPowerOrder(graph, powerSet, underPower);

            // Step 2 (v2.1: from an empty state).
            Map<StateKey, String> state = v21 ? new HashMap<>() : new HashMap<>(unconflicted);
            iterativeAuthChecks(sortedPower, state);

            // Steps 3 and 4.
            List<AuthGraph.Node> rest = new ArrayList<>();
            for (int i = full.nextSetBit(0); i >= 0; i = full.nextSetBit(i + 1)) {
                if (!powerSet.get(i)) {
                    rest.add(graph.node(i));
                }
            }
            iterativeAuthChecks(mainlineOrder(rest, state.get(POWER_LEVELS)), state);

            // Step 5.
            state.putAll(unconflicted);
            return state;
        }

        /**
         * Events in some but not all of the sets' full auth chains. Like Synapse and ruma, a set's
         * chain includes the set's own events: an event every set holds is then never in the
         * difference, which it would be under the spec's letter when only some sets' other
         * events cite it (it is unconflicted, so the final step restores it anyway).
         */
        private static BitSet authDifference(AuthGraph graph, List<Map<StateKey, String>> sets) {
            int n = graph.size();
            BitSet[] reach = new BitSet[n];
            for (int s = 0; s < sets.size(); s++) {
                for (String id : sets.get(s).values()) {
                    AuthGraph.Node node = graph.node(id);
                    if (node != null) {
                        if (reach[node.index] == null) {
                            reach[node.index] = new BitSet(sets.size());
                        }
                        reach[node.index].set(s);
                    }
                }
            }
            // Reverse post-order reaches every event before its auth events, so one pass is exact.
            for (int i = n - 1; i >= 0; i--) {
                BitSet r = reach[i];
                if (r == null) {
                    continue;
                }
                for (int a : graph.node(i).auth) {
                    if (reach[a] == null) {
                        reach[a] = (BitSet) r.clone();
                    } else {
                        reach[a].or(r);
                    }
                }
            }
            BitSet difference = new BitSet(n);
            for (int i = 0; i < n; i++) {
                if (reach[i] != null && reach[i].cardinality() < sets.size()) {
                    difference.set(i);
                }
            }
            return difference;
        }

        /**
         * v2.1: events on auth-event paths between two conflicted events, endpoints included:
         * reachable from a conflicted event and reaching one.
         */
        private static BitSet conflictedSubgraph(AuthGraph graph, BitSet conflictedNodes) {
            int n = graph.size();
            BitSet below = (BitSet) conflictedNodes.clone();
            for (int i = n - 1; i >= 0; i--) {
                if (below.get(i)) {
                    for (int a : graph.node(i).auth) {
                        below.set(a);
                    }
                }
            }
            BitSet above = (BitSet) conflictedNodes.clone();
            for (int i = 0; i < n; i++) {
                if (!above.get(i)) {
                    for (int a : graph.node(i).auth) {
                        if (above.get(a)) {
                            above.set(i);
                            break;
                        }
                    }
                }
            }
            below.and(above);
            return below;
        }

        /**
         * Kahn's algorithm over the events of {@code selected}, taking at each step the smallest
         * candidate: greater sender power first, then earlier origin_server_ts, then smaller event
         * ID. An event waits for every selected event in its auth chain, also those it reaches
         * only through unselected events.
         */
        private List<AuthGraph.Node> reverseTopologicalPowerOrder(AuthGraph graph, BitSet selected, BitSet region) {
            int n = graph.size();
            Map<Integer, Integer> ordinal = new HashMap<>();
            List<AuthGraph.Node> members = new ArrayList<>();
            for (int i = selected.nextSetBit(0); i >= 0; i = selected.nextSetBit(i + 1)) {
                ordinal.put(i, members.size());
                members.add(graph.node(i));
            }
            if (members.isEmpty()) {
                return List.of();
            }
            // below[i]: the selected events nearest below node i (children first, shared when unchanged).
            BitSet[] below = new BitSet[n];
            for (int i = region.nextSetBit(0); i >= 0; i = region.nextSetBit(i + 1)) {
                BitSet acc = null;
                boolean owned = false;
                for (int a : graph.node(i).auth) {
                    BitSet contribution;
                    if (selected.get(a)) {
                        contribution = new BitSet();
                        contribution.set(ordinal.get(a));
                    } else {
                        contribution = below[a];
                    }
                    if (contribution == null || contribution.isEmpty()) {
                        continue;
                    }
                    if (acc == null) {
                        acc = contribution;
                    } else {
                        if (!owned) {
                            acc = (BitSet) acc.clone();
                            owned = true;
                        }
                        acc.or(contribution);
                    }
                }
                below[i] = acc;
            }
            int m = members.size();
            int[] waiting = new int[m];
            List<List<Integer>> citers = new ArrayList<>(m);
            for (int k = 0; k < m; k++) {
                citers.add(new ArrayList<>(2));
            }
            for (int k = 0; k < m; k++) {
                BitSet deps = below[members.get(k).index];
                if (deps != null) {
                    for (int d = deps.nextSetBit(0); d >= 0; d = deps.nextSetBit(d + 1)) {
                        if (d != k) {
                            waiting[k]++;
                            citers.get(d).add(k);
                        }
                    }
                }
            }
            long[] power = new long[m];
            for (int k = 0; k < m; k++) {
                power[k] = senderPowerFromAuthEvents(members.get(k).event);
            }
            Comparator<Integer> order = (x, y) -> {
                int c = Long.compare(power[y], power[x]);
                if (c != 0) {
                    return c;
                }
                c = Long.compare(members.get(x).event.originServerTs(), members.get(y).event.originServerTs());
                return c != 0 ? c : compareIds(members.get(x).id(), members.get(y).id());
            };
            PriorityQueue<Integer> ready = new PriorityQueue<>(order);
            for (int k = 0; k < m; k++) {
                if (waiting[k] == 0) {
                    ready.add(k);
                }
            }
            List<AuthGraph.Node> sorted = new ArrayList<>(m);
            while (!ready.isEmpty()) {
                int k = ready.poll();
                sorted.add(members.get(k));
                for (int c : citers.get(k)) {
                    if (--waiting[c] == 0) {
                        ready.add(c);
                    }
                }
            }
            if (sorted.size() < m) {
                // Only a cyclic auth graph (impossible with hashed event IDs) leaves events waiting;
                // order them by the same tie-breaks so every server still agrees.
                List<Integer> left = new ArrayList<>();
                for (int k = 0; k < m; k++) {
                    if (waiting[k] > 0) {
                        left.add(k);
                    }
                }
                left.sort(order);
                for (int k : left) {
                    sorted.add(members.get(k));
                }
            }
            return sorted;
        }

        /** The sender's power level "when looking at their respective auth_events". */
        private long senderPowerFromAuthEvents(Pdu event) {
            Pdu powerLevels = null;
            Pdu create = null;
            for (String id : event.authEvents()) {
                Pdu auth = lookup.get(id);
                if (auth == null) {
                    continue;
                }
                if (auth.isStateOf("m.room.power_levels", "")) {
                    powerLevels = auth;
                } else if (auth.isStateOf("m.room.create", "")) {
                    create = auth;
                }
            }
            if (create == null && version.roomIdIsCreateEventHash() && event.roomId() != null) {
                create = lookup.get("$" + event.roomId().substring(1));
            }
            return PowerLevels.of(version, powerLevels, create).userLevel(event.sender());
        }

        /**
         * Mainline ordering based on the power levels event {@code powerLevelsId}: events whose
         * power levels ancestry meets the mainline earlier (or never) come first, then by
         * origin_server_ts, then by event ID.
         */
        private List<AuthGraph.Node> mainlineOrder(List<AuthGraph.Node> events, String powerLevelsId) {
            if (events.isEmpty()) {
                return events;
            }
            Map<String, Integer> mainline = new HashMap<>();
            int index = 0;
            Pdu p = powerLevelsId == null ? null : lookup.get(powerLevelsId);
            while (p != null && !mainline.containsKey(p.eventId())) {
                mainline.put(p.eventId(), index++);
                p = powerLevelsIn(p);
            }
            // Position of each power levels event walked, so shared ancestry is walked once.
            Map<String, Integer> known = new HashMap<>(mainline);
            Map<String, Integer> position = new HashMap<>();
            for (AuthGraph.Node node : events) {
                List<String> walked = new ArrayList<>();
                Pdu e = powerLevelsIn(node.event);
                int pos = Integer.MAX_VALUE;
                while (e != null) {
                    Integer k = known.get(e.eventId());
                    if (k != null) {
                        pos = k;
                        break;
                    }
                    if (walked.contains(e.eventId())) {
                        break; // a cycle: treat as never meeting the mainline
                    }
                    walked.add(e.eventId());
                    e = powerLevelsIn(e);
                }
                for (String id : walked) {
                    known.put(id, pos);
                }
                position.put(node.id(), pos);
            }
            List<AuthGraph.Node> sorted = new ArrayList<>(events);
            sorted.sort((x, y) -> {
                int c = Integer.compare(position.get(y.id()), position.get(x.id()));
                if (c != 0) {
                    return c;
                }
                c = Long.compare(x.event.originServerTs(), y.event.originServerTs());
                return c != 0 ? c : compareIds(x.id(), y.id());
            });
            return sorted;
        }

        /** The m.room.power_levels event among an event's auth events, or null. */
        private Pdu powerLevelsIn(Pdu event) {
            for (String id : event.authEvents()) {
                Pdu auth = lookup.get(id);
                if (auth != null && auth.isStateOf("m.room.power_levels", "")) {
                    return auth;
                }
            }
            return null;
        }

        private void iterativeAuthChecks(List<AuthGraph.Node> events, Map<StateKey, String> state) {
            for (AuthGraph.Node node : events) {
                Pdu event = node.event;
                Map<StateKey, Pdu> auth = authState(event, state::get, lookup, true);
                if (AuthRules.check(event, auth).allowed()) {
                    state.put(StateKey.of(event), event.eventId());
                }
            }
        }
    }

    // ==== state resolution v1 ==================================================================

    private static final class V1 {
        private final CachedLookup lookup;

        V1(CachedLookup lookup) {
            this.lookup = lookup;
        }

        Map<StateKey, String> resolve(List<Map<StateKey, String>> sets) {
            // A conflict is two different event IDs for one slot; a slot only some sets have is not one.
            Map<StateKey, String> resolved = new HashMap<>();
            Map<StateKey, Set<String>> conflicted = new LinkedHashMap<>();
            for (Map<StateKey, String> set : sets) {
                for (Map.Entry<StateKey, String> e : set.entrySet()) {
                    StateKey key = e.getKey();
                    Set<String> ids = conflicted.get(key);
                    if (ids != null) {
                        ids.add(e.getValue());
                        continue;
                    }
                    String existing = resolved.putIfAbsent(key, e.getValue());
                    if (existing != null && !existing.equals(e.getValue())) {
                        resolved.remove(key);
                        Set<String> both = new LinkedHashSet<>();
                        both.add(existing);
                        both.add(e.getValue());
                        conflicted.put(key, both);
                    }
                }
            }
            if (conflicted.isEmpty()) {
                return resolved;
            }
            Map<StateKey, List<Pdu>> candidates = new LinkedHashMap<>();
            for (Map.Entry<StateKey, Set<String>> e : conflicted.entrySet()) {
                List<Pdu> known = new ArrayList<>();
                for (String id : e.getValue()) {
                    Pdu pdu = lookup.get(id);
                    if (pdu != null) {
                        known.add(pdu);
                    }
                }
                if (known.size() == 1) {
                    resolved.put(e.getKey(), known.get(0).eventId()); // the other side is unknown: no conflict left
                } else if (known.size() > 1) {
                    candidates.put(e.getKey(), known);
                }
            }
            // Power levels, then join rules, then members, each resolved against R as it stood when
            // the phase began. The spec leaves the order among slots of one phase open; like
            // Synapse, no slot of a phase sees another's outcome, so the order can't matter.
            for (String type : List.of("m.room.power_levels", "m.room.join_rules", "m.room.member")) {
                Map<StateKey, String> base = new HashMap<>(resolved);
                for (Map.Entry<StateKey, List<Pdu>> e : candidates.entrySet()) {
                    if (e.getKey().type().equals(type)) {
                        resolved.put(e.getKey(), resolveAuthSlot(e.getKey(), e.getValue(), base));
                    }
                }
            }
            Map<StateKey, String> base = new HashMap<>(resolved);
            for (Map.Entry<StateKey, List<Pdu>> e : candidates.entrySet()) {
                String type = e.getKey().type();
                if (!type.equals("m.room.power_levels") && !type.equals("m.room.join_rules")
                        && !type.equals("m.room.member")) {
                    resolved.put(e.getKey(), resolveOtherSlot(e.getValue(), base));
                }
            }
            return resolved;
        }

        /**
         * Sorted by ascending depth then descending sha1(event_id), the first event goes in; each
         * next one that the rules allow in R replaces it, until one fails.
         */
        private String resolveAuthSlot(StateKey key, List<Pdu> events, Map<StateKey, String> base) {
            List<Pdu> sorted = new ArrayList<>(events);
            sorted.sort(Comparator.comparingLong(Pdu::depth).thenComparing(V1::sha1Hex, Comparator.reverseOrder()));
            String current = sorted.get(0).eventId();
            for (Pdu event : sorted.subList(1, sorted.size())) {
                String holder = current;
                Function<StateKey, String> state = k -> k.equals(key) ? holder : base.get(k);
                if (!AuthRules.check(event, authState(event, state, lookup, false)).allowed()) {
                    break;
                }
                current = event.eventId();
            }
            return current;
        }

        /**
         * The event with the highest depth and lowest sha1(event_id) that the rules allow in R.
         * The spec doesn't say what happens when none is allowed; like Synapse we then take the
         * last one tried (the lowest depth), so servers still agree.
         */
        private String resolveOtherSlot(List<Pdu> events, Map<StateKey, String> base) {
            List<Pdu> sorted = new ArrayList<>(events);
            sorted.sort(Comparator.comparingLong(Pdu::depth).reversed().thenComparing(V1::sha1Hex));
            for (Pdu event : sorted) {
                if (AuthRules.check(event, authState(event, base::get, lookup, false)).allowed()) {
                    return event.eventId();
                }
            }
            return sorted.get(sorted.size() - 1).eventId();
        }

        private static String sha1Hex(Pdu event) {
            try {
                MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
                return HexFormat.of().formatHex(sha1.digest(event.eventId().getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-1", e);
            }
        }
    }
}
