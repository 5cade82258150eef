package org.vestibule.event;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small helpers over the event core's JSON model (maps, lists, strings, longs, booleans, null). */
public final class Json {

    private Json() {}

    /** A deep, mutable copy of an object. */
    public static Map<String, Object> mutableCopy(Map<String, ?> source) {
        LinkedHashMap<String, Object> copy = new LinkedHashMap<>(Math.max(16, source.size() * 2));
        for (Map.Entry<String, ?> e : source.entrySet()) {
            copy.put(e.getKey(), mutableCopyOf(e.getValue()));
        }
        return copy;
    }

    private static Object mutableCopyOf(Object value) {
        if (value instanceof Map<?, ?> map) {
            @SuppressWarnings("unchecked")
            Map<String, ?> m = (Map<String, ?>) map;
            return mutableCopy(m);
        }
        if (value instanceof Collection<?> list) {
            ArrayList<Object> copy = new ArrayList<>(list.size());
            for (Object item : list) {
                copy.add(mutableCopyOf(item));
            }
            return copy;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        return value;
    }

    /** A deep, unmodifiable copy of an object; integral numbers become {@code Long}. */
    public static Map<String, Object> frozenCopy(Map<String, ?> source) {
        LinkedHashMap<String, Object> copy = new LinkedHashMap<>(Math.max(16, source.size() * 2));
        for (Map.Entry<String, ?> e : source.entrySet()) {
            copy.put(e.getKey(), frozenCopyOf(e.getValue()));
        }
        return Collections.unmodifiableMap(copy);
    }

    private static Object frozenCopyOf(Object value) {
        if (value instanceof Map<?, ?> map) {
            @SuppressWarnings("unchecked")
            Map<String, ?> m = (Map<String, ?>) map;
            return frozenCopy(m);
        }
        if (value instanceof Collection<?> list) {
            ArrayList<Object> copy = new ArrayList<>(list.size());
            for (Object item : list) {
                copy.add(frozenCopyOf(item));
            }
            return Collections.unmodifiableList(copy);
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        return value;
    }

    /** The object under a key, or an empty map when absent or not an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Map<String, ?> map, String key) {
        Object v = map.get(key);
        return v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    public static Optional<String> string(Map<String, ?> map, String key) {
        return map.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    public static Optional<Long> integer(Map<String, ?> map, String key) {
        return map.get(key) instanceof Long l ? Optional.of(l) : Optional.empty();
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Map<String, ?> map, String key) {
        Object v = map.get(key);
        return v instanceof List<?> l ? (List<Object>) l : List.of();
    }

    /** An object from alternating keys and values, keeping nulls (Map.of refuses them). */
    public static Map<String, Object> objectOf(Object... keysAndValues) {
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
