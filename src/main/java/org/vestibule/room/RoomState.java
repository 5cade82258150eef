package org.vestibule.room;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import org.vestibule.auth.StateKey;

/**
 * An immutable room state (state key → event ID) that shares structure between versions: a
 * shared base map plus a small overlay of changes, folded into a new base when it grows. Adding
 * one event to the state of a 10,000-member room therefore costs about the same as to a small one.
 */
public final class RoomState {

    /** Overlays larger than this are folded into a fresh base. */
    private static final int MAX_OVERLAY = 64;
    private static final String REMOVED = "";

    public static final RoomState EMPTY = new RoomState(Map.of(), Map.of(), 0);

    private final Map<StateKey, String> base;
    // Changes on top of base; REMOVED marks a key deleted from base.
    private final Map<StateKey, String> overlay;
    private final int size;

    private RoomState(Map<StateKey, String> base, Map<StateKey, String> overlay, int size) {
        this.base = base;
        this.overlay = overlay;
        this.size = size;
    }

    /** A state holding exactly these entries. */
    public static RoomState of(Map<StateKey, String> entries) {
        return new RoomState(Collections.unmodifiableMap(new HashMap<>(entries)), Map.of(), entries.size());
    }

    /** The event ID in a slot, or null. */
    public String get(StateKey key) {
        String v = overlay.get(key);
        if (v != null) {
            return v == REMOVED ? null : v;
        }
        return base.get(key);
    }

    public boolean contains(StateKey key) {
        return get(key) != null;
    }

    public int size() {
        return size;
    }

    /** This state with one slot set. */
    public RoomState with(StateKey key, String eventId) {
        if (eventId.equals(get(key))) {
            return this;
        }
        int newSize = contains(key) ? size : size + 1;
        return withOverlayEntry(key, eventId, newSize);
    }

    /** This state with one slot removed. */
    public RoomState without(StateKey key) {
        if (!contains(key)) {
            return this;
        }
        return withOverlayEntry(key, REMOVED, size - 1);
    }

    /** This state with several slots changed (null values remove). */
    public RoomState withAll(Map<StateKey, String> changes) {
        RoomState s = this;
        for (Map.Entry<StateKey, String> e : changes.entrySet()) {
            s = e.getValue() == null ? s.without(e.getKey()) : s.with(e.getKey(), e.getValue());
        }
        return s;
    }

    private RoomState withOverlayEntry(StateKey key, String value, int newSize) {
        if (overlay.size() >= MAX_OVERLAY) {
            HashMap<StateKey, String> flat = new HashMap<>(base);
            applyOverlay(flat);
            apply(flat, key, value);
            return new RoomState(Collections.unmodifiableMap(flat), Map.of(), newSize);
        }
        HashMap<StateKey, String> next = new HashMap<>(overlay);
        next.put(key, value);
        return new RoomState(base, Collections.unmodifiableMap(next), newSize);
    }

    private void applyOverlay(Map<StateKey, String> target) {
        overlay.forEach((k, v) -> apply(target, k, v));
    }

    private static void apply(Map<StateKey, String> target, StateKey key, String value) {
        if (value == REMOVED) {
            target.remove(key);
        } else {
            target.put(key, value);
        }
    }

    /** Calls the action for every slot. */
    public void forEach(BiConsumer<StateKey, String> action) {
        if (overlay.isEmpty()) {
            base.forEach(action);
            return;
        }
        base.forEach((k, v) -> {
            if (!overlay.containsKey(k)) {
                action.accept(k, v);
            }
        });
        overlay.forEach((k, v) -> {
            if (v != REMOVED) {
                action.accept(k, v);
            }
        });
    }

    /** A plain copy of the whole state. */
    public Map<StateKey, String> toMap() {
        if (overlay.isEmpty()) {
            return base;
        }
        HashMap<StateKey, String> flat = new HashMap<>(base);
        applyOverlay(flat);
        return Collections.unmodifiableMap(flat);
    }

    /** The slots whose value differs from {@code other} (null values: absent here). */
    public Map<StateKey, String> diffFrom(RoomState other) {
        HashMap<StateKey, String> diff = new HashMap<>();
        if (other.base == base) {
            // Common case: only the overlays differ.
            overlay.keySet().forEach(k -> putIfDifferent(diff, k, get(k), other.get(k)));
            other.overlay.keySet().forEach(k -> putIfDifferent(diff, k, get(k), other.get(k)));
            return diff;
        }
        forEach((k, v) -> putIfDifferent(diff, k, v, other.get(k)));
        other.forEach((k, v) -> {
            if (get(k) == null) {
                diff.put(k, null);
            }
        });
        return diff;
    }

    private static void putIfDifferent(Map<StateKey, String> diff, StateKey k, String mine, String theirs) {
        if (mine == null ? theirs != null : !mine.equals(theirs)) {
            diff.put(k, mine);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        return o instanceof RoomState other && size == other.size && diffFrom(other).isEmpty();
    }

    @Override
    public int hashCode() {
        return size;
    }

    @Override
    public String toString() {
        return "RoomState[" + size + " entries]";
    }
}
