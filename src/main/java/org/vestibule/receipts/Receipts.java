package org.vestibule.receipts;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.accountdata.AccountData;
import org.vestibule.accounts.ClientUser;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.Pdu;
import org.vestibule.federation.outbound.OutboundEdu;
import org.vestibule.federation.outbound.TransactionQueue;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.presence.Presence;
import org.vestibule.room.EventGraph;
import org.vestibule.room.RoomMemberships;

/**
 * Receipts and read markers (spec client-server §Receipts, §Read and unread markers; server-server
 * §Receipts). A receipt marks "read up to" an event: one per (room, type, user, thread), moved
 * forward only (a receipt for an older event than the stored one changes nothing, as in Synapse).
 * {@code m.read} goes to the other servers in the room as a reliable m.receipt EDU;
 * {@code m.read.private} never leaves this server and only its user sees it; {@code m.fully_read}
 * is room account data, not a receipt.
 */
@Service
public class Receipts {

    static final String READ = "m.read";
    static final String READ_PRIVATE = "m.read.private";
    static final String FULLY_READ = "m.fully_read";
    static final List<String> TYPES = List.of(READ, READ_PRIVATE, FULLY_READ);
    /** Rooms, and users per room, read from one m.receipt EDU. */
    static final int MAX_EDU_ROOMS = 100;
    static final int MAX_EDU_USERS = 1_000;
    /** Clients see only events that passed the auth rules and are in the room's graph (StreamReads' rule). */
    private static final String VISIBLE = "not outlier and rejection_reason is null and not soft_failed";

    /** One stored receipt; threadId "" when unthreaded. */
    private record Receipt(String roomId, String type, String userId, String threadId, String eventId, long ts) {}

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final AccountData accountData;
    private final Threads threads;
    private final TransactionQueue queue;
    private final ServerKeyring keyring;
    private final Presence presence;
    private final Clock clock;

    Receipts(JdbcTemplate jdbc, TransactionTemplate tx, EventGraph graph, RoomMemberships memberships,
             AccountData accountData, Threads threads, TransactionQueue queue, ServerKeyring keyring,
             Presence presence, Clock clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.graph = graph;
        this.memberships = memberships;
        this.accountData = accountData;
        this.threads = threads;
        this.queue = queue;
        this.keyring = keyring;
        this.presence = presence;
        this.clock = clock;
    }

    /**
     * {@code POST /rooms/{roomId}/receipt/{receiptType}/{eventId}} (receipts.yaml). 400
     * M_INVALID_PARAM for an unknown type or a bad {@code thread_id} (not a non-empty string, given
     * with m.fully_read, or a thread the event is not in); 403 when the user is not joined; 404
     * when the event is not in the room.
     */
    public void receipt(ClientUser user, String roomId, String receiptType, String eventId, Object threadId) {
        if (!TYPES.contains(receiptType)) {
            throw MatrixException.invalidParam("Receipt type must be one of " + TYPES + ", not '" + receiptType + "'");
        }
        String thread = threadId(receiptType, threadId);
        requireJoined(user, roomId);
        Pdu event = eventInRoom(roomId, eventId);
        if (!thread.isEmpty() && !threads.isIn(event, thread)) {
            throw MatrixException.invalidParam("Event " + eventId + " is not in thread " + thread
                    + (Threads.MAIN.equals(thread) ? " (it is in a thread)" : ""));
        }
        presence.active(user.userId());
        tx.executeWithoutResult(status -> {
            if (FULLY_READ.equals(receiptType)) {
                moveFullyRead(user.userId(), roomId, eventId);
            } else {
                storeLocal(new Receipt(roomId, receiptType, user.userId(), thread, eventId, clock.millis()));
            }
        });
    }

    /**
     * {@code POST /rooms/{roomId}/read_markers} (read_markers.yaml): the fully read marker and,
     * as if by /receipt, the public and private read receipts; every event is checked before
     * anything is written.
     */
    public void readMarkers(ClientUser user, String roomId, String fullyRead, String read, String readPrivate) {
        requireJoined(user, roomId);
        for (String eventId : new String[] {fullyRead, read, readPrivate}) {
            if (eventId != null) {
                eventInRoom(roomId, eventId);
            }
        }
        presence.active(user.userId());
        long now = clock.millis();
        tx.executeWithoutResult(status -> {
            if (fullyRead != null) {
                moveFullyRead(user.userId(), roomId, fullyRead);
            }
            if (read != null) {
                storeLocal(new Receipt(roomId, READ, user.userId(), "", read, now));
            }
            if (readPrivate != null) {
                storeLocal(new Receipt(roomId, READ_PRIVATE, user.userId(), "", readPrivate, now));
            }
        });
    }

    /**
     * An m.receipt EDU (spec server-server §Receipts): m.read receipts of the sending server's
     * users who are joined to rooms we are in; other receipt types and anything that does not
     * check out are ignored.
     */
    void receive(String origin, Map<String, Object> content) {
        int rooms = 0;
        for (Map.Entry<String, Object> room : content.entrySet()) {
            if (++rooms > MAX_EDU_ROOMS) {
                break;
            }
            String roomId = room.getKey();
            if (!(room.getValue() instanceof Map<?, ?> types) || !(types.get(READ) instanceof Map<?, ?> users)
                    || !memberships.isServerJoined(roomId, keyring.serverName())
                    || !memberships.isServerJoined(roomId, origin)) {
                continue;
            }
            int n = 0;
            for (Map.Entry<?, ?> u : users.entrySet()) {
                if (++n > MAX_EDU_USERS) {
                    break;
                }
                if (!(u.getKey() instanceof String userId) || !origin.equals(Identifiers.serverOf(userId).orElse(null))
                        || !(u.getValue() instanceof Map<?, ?> receipt) || !(receipt.get("event_ids") instanceof List<?> ids)
                        || ids.isEmpty() || !(ids.get(0) instanceof String eventId) || !eventId.startsWith("$")
                        || Identifiers.byteLength(eventId) > Identifiers.MAX_ID_BYTES
                        || !"join".equals(memberships.membershipOf(roomId, userId).orElse(null))) {
                    continue;
                }
                Map<?, ?> data = receipt.get("data") instanceof Map<?, ?> d ? d : Map.of();
                long ts = data.get("ts") instanceof Long t ? t : clock.millis();
                // Synapse: a thread_id that is not a string makes the receipt unthreaded.
                String thread = data.get("thread_id") instanceof String t && !t.isEmpty()
                        && Identifiers.byteLength(t) <= Identifiers.MAX_ID_BYTES ? t : "";
                tx.executeWithoutResult(status -> store(new Receipt(roomId, READ, userId, thread, eventId, ts)));
            }
        }
    }

    /**
     * /sync's m.receipt events (spec: {eventId: {receiptType: {userId: {ts, thread_id?}}}}), one per
     * room, for the receipts that changed in (after, upTo] of each room (0: all of them), private
     * ones of the syncing user only. A user's receipts in two threads on one event need two events.
     */
    /**
     * How far the user has read the room's main timeline: the stream position of the event their
     * latest unthreaded or main-thread read receipt (public or private) names, or -1.
     */
    public long readUpTo(String userId, String roomId) {
        Long position = jdbc.queryForObject("select max(e.stream_ordering) from receipts r join events e on e.event_id = "
                + "r.event_id where r.room_id = ? and r.user_id = ? and r.receipt_type in ('m.read', 'm.read.private') "
                + "and r.thread_id in ('', 'main')", Long.class, roomId, userId);
        return position == null ? -1 : position;
    }

    public Map<String, List<Map<String, Object>>> events(String userId, Map<String, Long> after, long upTo) {
        Map<String, List<Map<String, Object>>> out = new TreeMap<>();
        Map<Long, List<String>> byPosition = new HashMap<>();
        after.forEach((room, position) -> byPosition.computeIfAbsent(position, p -> new ArrayList<>()).add(room));
        Map<String, List<Receipt>> byRoom = new TreeMap<>();
        byPosition.forEach((position, rooms) -> {
            List<Object> args = new ArrayList<>(List.of(position, upTo, userId));
            args.addAll(rooms);
            jdbc.query("select room_id, receipt_type, user_id, thread_id, event_id, ts from receipts "
                    + "where stream_ordering > ? and stream_ordering <= ? and (receipt_type = 'm.read' or user_id = ?) "
                    + "and room_id in (" + String.join(", ", Collections.nCopies(rooms.size(), "?")) + ") "
                    + "order by room_id, stream_ordering", rs -> {
                        byRoom.computeIfAbsent(rs.getString(1), r -> new ArrayList<>()).add(new Receipt(rs.getString(1),
                                rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getLong(6)));
                    }, args.toArray());
        });
        byRoom.forEach((room, receipts) -> out.put(room, receiptEvents(receipts)));
        return out;
    }

    private static List<Map<String, Object>> receiptEvents(List<Receipt> receipts) {
        List<Map<String, Map<String, Map<String, Object>>>> contents = new ArrayList<>();
        for (Receipt r : receipts) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("ts", r.ts());
            if (!r.threadId().isEmpty()) {
                data.put("thread_id", r.threadId());
            }
            Map<String, Map<String, Map<String, Object>>> content = null;
            for (Map<String, Map<String, Map<String, Object>>> c : contents) {
                Map<String, Map<String, Object>> byType = c.get(r.eventId());
                if (byType == null || byType.get(r.type()) == null || !byType.get(r.type()).containsKey(r.userId())) {
                    content = c;
                    break;
                }
            }
            if (content == null) {
                content = new LinkedHashMap<>();
                contents.add(content);
            }
            content.computeIfAbsent(r.eventId(), e -> new LinkedHashMap<>())
                    .computeIfAbsent(r.type(), t -> new LinkedHashMap<>()).put(r.userId(), data);
        }
        List<Map<String, Object>> events = new ArrayList<>();
        for (Map<String, Map<String, Map<String, Object>>> c : contents) {
            events.add(Map.of("type", "m.receipt", "content", c));
        }
        return events;
    }

    /** Stores our user's receipt and, when it moved and is public, queues it for the other servers in the room. */
    private void storeLocal(Receipt r) {
        if (!store(r) || !READ.equals(r.type())) {
            return;
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("ts", r.ts());
        if (!r.threadId().isEmpty()) {
            data.put("thread_id", r.threadId());
        }
        Map<String, Object> content = Map.of(r.roomId(), Map.of(READ, Map.of(r.userId(),
                Map.of("event_ids", List.of(r.eventId()), "data", data))));
        queue.queueRoomEdu(r.roomId(), memberships.joinedServers(r.roomId()), OutboundEdu.reliable("m.receipt",
                "m.receipt " + r.roomId() + " " + r.userId() + " " + r.threadId(), content));
    }

    /**
     * Writes the receipt unless the stored one is for the same event or a later one (by stream
     * position; an event we do not have counts as later for neither). Returns whether it changed;
     * the trigger gives a change its stream position and NOTIFYs.
     */
    private boolean store(Receipt r) {
        return jdbc.update("insert into receipts as old (room_id, receipt_type, user_id, thread_id, event_id, ts, "
                + "stream_ordering) values (?, ?, ?, ?, ?, ?, 0) on conflict (room_id, receipt_type, user_id, thread_id) "
                + "do update set event_id = excluded.event_id, ts = excluded.ts where old.event_id <> excluded.event_id "
                + "and coalesce((select stream_ordering from events where event_id = old.event_id), -1) "
                + "< coalesce((select stream_ordering from events where event_id = excluded.event_id), 9223372036854775807)",
                r.roomId(), r.type(), r.userId(), r.threadId(), r.eventId(), r.ts()) > 0;
    }

    /** The fully read marker, forward only (Synapse's rule), as room account data {@code m.fully_read}. */
    private void moveFullyRead(String userId, String roomId, String eventId) {
        accountData.modify(userId, roomId, FULLY_READ, current -> {
            if (current.get("event_id") instanceof String old && (old.equals(eventId)
                    || position(old).orElse(-1L) >= position(eventId).orElse(Long.MAX_VALUE))) {
                return null;
            }
            return Map.of("event_id", eventId);
        });
    }

    private Optional<Long> position(String eventId) {
        return jdbc.queryForList("select stream_ordering from events where event_id = ?", Long.class, eventId).stream()
                .findFirst();
    }

    /** The receipt's thread: "" for unthreaded; 400 for what the spec calls invalid. */
    private static String threadId(String receiptType, Object threadId) {
        if (threadId == null) {
            return "";
        }
        if (!(threadId instanceof String t) || t.isEmpty()) {
            throw MatrixException.invalidParam("thread_id field must be a non-empty string");
        }
        if (FULLY_READ.equals(receiptType)) {
            throw MatrixException.invalidParam("thread_id is not compatible with " + FULLY_READ + " receipts");
        }
        if (!Threads.MAIN.equals(t) && (!t.startsWith("$") || Identifiers.byteLength(t) > Identifiers.MAX_ID_BYTES)) {
            throw MatrixException.invalidParam("thread_id must be '" + Threads.MAIN + "' or the event ID of a thread root, "
                    + "not '" + t + "'");
        }
        return t;
    }

    private void requireJoined(ClientUser user, String roomId) {
        if (!"join".equals(memberships.membershipOf(roomId, user.userId()).orElse(null))) {
            throw MatrixException.forbidden("You are not joined to " + roomId);
        }
    }

    /** An event of the room that clients may see; 404 M_NOT_FOUND otherwise. */
    private Pdu eventInRoom(String roomId, String eventId) {
        boolean visible = !jdbc.queryForList("select 1 from events where event_id = ? and room_id = ? and " + VISIBLE,
                Integer.class, eventId, roomId).isEmpty();
        return (visible ? graph.event(eventId) : Optional.<Pdu>empty())
                .orElseThrow(() -> MatrixException.notFound("Event " + eventId + " not found in " + roomId));
    }
}
