package org.vestibule.auth;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;

/**
 * The power levels in force in a room: the content of its {@code m.room.power_levels} event (or
 * its absence) read with the room version's rules, plus the room's creators.
 *
 * <p>Defaults (client-server spec, m.room.power_levels; server-server spec §Definitions):
 * {@code users_default}, {@code events_default} and {@code invite} are 0; {@code state_default},
 * {@code kick}, {@code ban}, {@code redact} and the {@code room} notification level are 50,
 * whether or not the room has a power levels event. With no power levels event the creator has
 * 100 and everyone else 0. In room version 12 the creators (the create event's sender and its
 * {@code additional_creators}) have an infinitely high level, {@link #CREATOR}, whatever the
 * power levels event says.
 *
 * <p>Reading is lenient: a value that is not a valid level for the room version is ignored and
 * the default applies. Validation of new content is the job of the authorization rules.
 */
public final class PowerLevels {

    /** The level of a room version 12 creator: above every level a power levels event can hold. */
    public static final long CREATOR = Long.MAX_VALUE;
    /** The level of the creator in a room with no power levels event, before room version 12. */
    public static final long DEFAULT_CREATOR_LEVEL = 100;

    /** The integer properties the authorization rules compare. */
    public static final List<String> LEVEL_KEYS = List.of("users_default", "events_default", "state_default", "ban",
            "redact", "kick", "invite");

    private final RoomVersion version;
    private final boolean fromEvent;
    private final Set<String> creators;
    private final Map<String, Long> users;
    private final Map<String, Long> events;
    private final Map<String, Long> notifications;
    private final long usersDefault;
    private final long eventsDefault;
    private final long stateDefault;
    private final long ban;
    private final long kick;
    private final long redact;
    private final long invite;

    private PowerLevels(RoomVersion version, Map<String, ?> content, Set<String> creators) {
        this.version = version;
        this.fromEvent = content != null;
        this.creators = Collections.unmodifiableSet(new LinkedHashSet<>(creators));
        Map<String, ?> c = content == null ? Map.of() : content;
        this.users = levels(c.get("users"), version);
        this.events = levels(c.get("events"), version);
        this.notifications = levels(c.get("notifications"), version);
        this.usersDefault = level(c.get("users_default"), version).orElse(0);
        this.eventsDefault = level(c.get("events_default"), version).orElse(0);
        this.stateDefault = level(c.get("state_default"), version).orElse(50);
        this.ban = level(c.get("ban"), version).orElse(50);
        this.kick = level(c.get("kick"), version).orElse(50);
        this.redact = level(c.get("redact"), version).orElse(50);
        this.invite = level(c.get("invite"), version).orElse(0);
    }

    /**
     * Power levels from a power levels event and a create event, either of which may be null.
     *
     * @param version           the room version
     * @param powerLevelsEvent  the room's {@code m.room.power_levels} event, or null if it has none
     * @param createEvent       the room's {@code m.room.create} event, or null if unknown (then
     *                          nobody counts as creator)
     */
    public static PowerLevels of(RoomVersion version, Pdu powerLevelsEvent, Pdu createEvent) {
        return parse(version, powerLevelsEvent == null ? null : powerLevelsEvent.content(),
                createEvent == null ? Set.of() : creators(createEvent));
    }

    /** Power levels from a state map (or auth events map) holding the create and power levels events. */
    public static PowerLevels fromState(RoomVersion version, Map<StateKey, Pdu> state) {
        return of(version, state.get(StateKey.POWER_LEVELS), state.get(StateKey.CREATE));
    }

    /**
     * Power levels from raw content.
     *
     * @param content  the content of the power levels event, or null when the room has none
     * @param creators the room's creators, as {@link #creators(Pdu)} gives them
     */
    public static PowerLevels parse(RoomVersion version, Map<String, ?> content, Set<String> creators) {
        return new PowerLevels(version, content, creators);
    }

    /**
     * The creators of a room from its create event: before v11 {@code content.creator}; in v11 the
     * sender; in v12 the sender and every valid user ID in {@code additional_creators}.
     */
    public static Set<String> creators(Pdu createEvent) {
        RoomVersion v = createEvent.roomVersion();
        LinkedHashSet<String> creators = new LinkedHashSet<>();
        if (v.creatorIsSender()) {
            creators.add(createEvent.sender());
        } else if (createEvent.content().get("creator") instanceof String creator) {
            creators.add(creator);
        }
        if (v.roomIdIsCreateEventHash() && createEvent.content().get("additional_creators") instanceof List<?> more) {
            for (Object o : more) {
                if (o instanceof String s && Identifiers.isUserId(s)) {
                    creators.add(s);
                }
            }
        }
        return creators;
    }

    /**
     * A power level value as the room version accepts it, or empty when it is not one.
     *
     * <p>Integers always count. Before v10, strings holding a base-10 integer count too (spec
     * "m.room.power_levels events accept values as strings": surrounding whitespace, one optional
     * sign and leading zeros allowed). Before v6, floats count and are truncated (spec
     * "accept values as floats"); our event parser refuses floats in every version, so they can
     * only arrive through JSON built in code. Booleans never count.
     */
    public static OptionalLong level(Object value, RoomVersion version) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return OptionalLong.of(((Number) value).longValue());
        }
        if (value instanceof BigInteger big) {
            return big.bitLength() < 64 ? OptionalLong.of(big.longValue()) : OptionalLong.empty();
        }
        if (version.integerPowerLevels()) {
            return OptionalLong.empty();
        }
        if (value instanceof String s) {
            return parseStringLevel(s);
        }
        if (!version.strictCanonicalJson() && (value instanceof Double || value instanceof Float
                || value instanceof BigDecimal)) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d) || Math.abs(d) >= 0x1p63) {
                return OptionalLong.empty();
            }
            return OptionalLong.of((long) d);
        }
        return OptionalLong.empty();
    }

    private static OptionalLong parseStringLevel(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && Character.isWhitespace(s.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(s.charAt(end - 1))) {
            end--;
        }
        if (start == end) {
            return OptionalLong.empty();
        }
        boolean negative = false;
        char first = s.charAt(start);
        if (first == '+' || first == '-') {
            negative = first == '-';
            start++;
        }
        if (start == end) {
            return OptionalLong.empty();
        }
        for (int i = start; i < end; i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') {
                return OptionalLong.empty();
            }
        }
        try {
            long magnitude = Long.parseLong(s.substring(start, end));
            return OptionalLong.of(negative ? -magnitude : magnitude);
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // out of range
        }
    }

    private static Map<String, Long> levels(Object value, RoomVersion version) {
        if (!(value instanceof Map<?, ?> map)) {
            return Map.of();
        }
        LinkedHashMap<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            OptionalLong l = level(e.getValue(), version);
            if (e.getKey() instanceof String key && l.isPresent()) {
                out.put(key, l.getAsLong());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    public RoomVersion version() {
        return version;
    }

    /** Whether these levels come from a power levels event (rather than the room having none). */
    public boolean hasPowerLevelsEvent() {
        return fromEvent;
    }

    /** The room's creators (see {@link #creators(Pdu)}); empty when the create event was unknown. */
    public Set<String> creators() {
        return creators;
    }

    /** Whether creators have infinite power (room version 12). */
    public boolean creatorsHaveInfinitePower() {
        return version.roomIdIsCreateEventHash();
    }

    /** A user's power level; {@link #CREATOR} for a creator in room version 12. */
    public long userLevel(String userId) {
        if (creatorsHaveInfinitePower() && creators.contains(userId)) {
            return CREATOR;
        }
        if (fromEvent) {
            Long level = users.get(userId);
            return level != null ? level : usersDefault;
        }
        return creators.contains(userId) ? DEFAULT_CREATOR_LEVEL : 0;
    }

    /** The level needed to send an event of the type: {@code events[type]}, else the state or events default. */
    public long eventLevel(String type, boolean isState) {
        Long level = events.get(type);
        if (level != null) {
            return level;
        }
        return isState ? stateDefault : eventsDefault;
    }

    /** The level needed for a notification key; the only default the spec defines is 50 for {@code room}, used for all. */
    public long notification(String key) {
        Long level = notifications.get(key);
        return level != null ? level : 50;
    }

    public long invite() {
        return invite;
    }

    public long kick() {
        return kick;
    }

    public long ban() {
        return ban;
    }

    public long redact() {
        return redact;
    }

    public long usersDefault() {
        return usersDefault;
    }

    public long stateDefault() {
        return stateDefault;
    }

    public long eventsDefault() {
        return eventsDefault;
    }

    /** The explicit user levels, valid entries only. */
    public Map<String, Long> users() {
        return users;
    }

    /** The explicit event levels, valid entries only. */
    public Map<String, Long> events() {
        return events;
    }

    /** The explicit notification levels, valid entries only. */
    public Map<String, Long> notifications() {
        return notifications;
    }

    /** Whether the user's level reaches the invite level (the restricted-join authoriser test, too). */
    public boolean canInvite(String userId) {
        return userLevel(userId) >= invite;
    }

    /** Whether the user may kick the target: kick level reached and the target's level strictly lower. */
    public boolean canKick(String userId, String target) {
        long level = userLevel(userId);
        return level >= kick && userLevel(target) < level;
    }

    /** Whether the user may ban the target: ban level reached and the target's level strictly lower. */
    public boolean canBan(String userId, String target) {
        long level = userLevel(userId);
        return level >= ban && userLevel(target) < level;
    }

    /** Whether the user reaches the redact level (needed to redact other users' events). */
    public boolean canRedact(String userId) {
        return userLevel(userId) >= redact;
    }

    /** Whether the user may send an event of the type. */
    public boolean canSend(String userId, String type, boolean isState) {
        return userLevel(userId) >= eventLevel(type, isState);
    }

    /** A level as text for messages: "infinite" for a v12 creator. */
    static String describe(long level) {
        return level == CREATOR ? "infinite (room creator)" : Long.toString(level);
    }

    @Override
    public String toString() {
        return "PowerLevels[v" + version.id() + (fromEvent ? "" : ", no event") + ", creators=" + creators
                + ", users=" + users + ", users_default=" + usersDefault + ", events=" + events
                + ", events_default=" + eventsDefault + ", state_default=" + stateDefault + ", ban=" + ban
                + ", kick=" + kick + ", redact=" + redact + ", invite=" + invite + ", notifications="
                + notifications + "]";
    }
}
