package org.vestibule.support;

/** Names that do not collide between tests sharing a server and its database. */
public final class TestNames {

    private TestNames() {}

    /** {@code n} followed by digits of the current nanosecond clock. */
    public static String unique(String n) {
        return n + (System.nanoTime() % 1_000_000_000L);
    }
}
