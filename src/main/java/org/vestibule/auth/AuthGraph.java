package org.vestibule.auth;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.vestibule.event.Pdu;

/**
 * The auth DAG below a set of events: every known event reachable through {@code auth_events},
 * in post-order (an event's auth events before the event), so that one pass in either direction
 * propagates anything along the edges. Unknown events (lookup gives null) are left out with
 * their edges. Built without recursion, as auth chains can be tens of thousands deep.
 */
final class AuthGraph {

    /** One event of the graph. */
    static final class Node {
        final int index;
        final Pdu event;
        /** Indices of the event's known auth events, each once. */
        int[] auth;

        Node(int index, Pdu event) {
            this.index = index;
            this.event = event;
        }

        String id() {
            return event.eventId();
        }
    }

    private final List<Node> nodes;
    private final Map<String, Node> byId;

    private AuthGraph(List<Node> nodes, Map<String, Node> byId) {
        this.nodes = nodes;
        this.byId = byId;
    }

    /** The graph of the given events and their auth chains. */
    static AuthGraph build(Collection<String> startIds, EventLookup lookup) {
        List<Node> nodes = new ArrayList<>();
        Map<String, Node> byId = new HashMap<>();
        Map<String, Pdu> visiting = new HashMap<>();
        Deque<Frame> stack = new ArrayDeque<>();
        for (String start : startIds) {
            if (byId.containsKey(start) || visiting.containsKey(start)) {
                continue;
            }
            Pdu first = lookup.get(start);
            if (first == null) {
                continue;
            }
            visiting.put(start, first);
            stack.push(new Frame(first));
            while (!stack.isEmpty()) {
                Frame top = stack.peek();
                List<String> auth = top.event.authEvents();
                if (top.next < auth.size()) {
                    String id = auth.get(top.next++);
                    if (!byId.containsKey(id) && !visiting.containsKey(id)) {
                        Pdu pdu = lookup.get(id);
                        if (pdu != null) {
                            visiting.put(id, pdu);
                            stack.push(new Frame(pdu));
                        }
                    }
                } else {
                    stack.pop();
                    Node node = new Node(nodes.size(), top.event);
                    nodes.add(node);
                    byId.put(top.event.eventId(), node);
                    visiting.remove(top.event.eventId());
                }
            }
        }
        for (Node node : nodes) {
            LinkedHashSet<Integer> auth = new LinkedHashSet<>();
            for (String id : node.event.authEvents()) {
                Node a = byId.get(id);
                if (a != null && a != node) {
                    auth.add(a.index);
                }
            }
            node.auth = auth.stream().mapToInt(Integer::intValue).toArray();
        }
        return new AuthGraph(List.copyOf(nodes), byId);
    }

    /** The nodes in post-order: auth events first. */
    List<Node> nodes() {
        return nodes;
    }

    int size() {
        return nodes.size();
    }

    Node node(int index) {
        return nodes.get(index);
    }

    /** The node of an event ID, or null when the event is unknown. */
    Node node(String eventId) {
        return byId.get(eventId);
    }

    private static final class Frame {
        final Pdu event;
        int next;

        Frame(Pdu event) {
            this.event = event;
        }
    }
}
