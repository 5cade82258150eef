package org.vestibule.auth;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.vestibule.event.Pdu;

/**
 * Auth chains (spec rooms/v2 §Definitions: "the set containing all of E's auth events, all of
 * their auth events, and so on recursively").
 */
public final class AuthChains {

    private AuthChains() {}

    /**
     * The union of the auth chains of the given events, oldest first: every event comes after its
     * own auth events, so the list can be sent or persisted in order. A given event appears only
     * when another one's chain holds it. Events the lookup doesn't know are skipped, together with
     * whatever only they lead to.
     */
    public static List<Pdu> of(Collection<String> eventIds, EventLookup lookup) {
        AuthGraph graph = AuthGraph.build(eventIds, CachedLookup.of(lookup));
        BitSet inChain = new BitSet(graph.size());
        // Reverse post-order visits every event before its auth events.
        for (int i = graph.size() - 1; i >= 0; i--) {
            for (int a : graph.node(i).auth) {
                inChain.set(a);
            }
        }
        List<Pdu> chain = new ArrayList<>(inChain.cardinality());
        for (int i = inChain.nextSetBit(0); i >= 0; i = inChain.nextSetBit(i + 1)) {
            chain.add(graph.node(i).event);
        }
        return chain;
    }

    /** The IDs of {@link #of(Collection, EventLookup)}, in the same order. */
    public static Set<String> ids(Collection<String> eventIds, EventLookup lookup) {
        Set<String> ids = new LinkedHashSet<>();
        for (Pdu pdu : of(eventIds, lookup)) {
            ids.add(pdu.eventId());
        }
        return ids;
    }
}
