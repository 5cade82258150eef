package org.vestibule.clientapi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;
import org.vestibule.accountdata.AccountData;
import org.vestibule.accounts.ClientUser;
import org.vestibule.auth.StateKey;
import org.vestibule.event.Pdu;
import org.vestibule.presence.Presence;
import org.vestibule.push.NotificationCounts;
import org.vestibule.push.PushRuleSet;
import org.vestibule.receipts.Receipts;
import org.vestibule.room.EventGraph;
import org.vestibule.room.EventVisibility;
import org.vestibule.room.OutOfBandMemberships;
import org.vestibule.room.RoomMemberships;
import org.vestibule.room.RoomState;
import org.vestibule.room.StrippedState;
import org.vestibule.typing.Typing;

/**
 * {@code GET /sync} (spec client-server §Syncing). The token is a stream position
 * ({@link StreamToken}); events, memberships and out-of-band invites and knocks all take their
 * positions from the one sequence, so one number says what a client has seen.
 *
 * <p>Per room, the user's membership as of the new position decides the section: {@code join}
 * with the timeline since the token (the last {@code limit} events, {@code limited} when there
 * were more) and the state changes before it, or the whole state for an initial sync, a newly
 * joined room or {@code full_state}; {@code invite} and {@code knock} with stripped state and the
 * membership event; {@code leave} for rooms left, kicked or banned from, rejected or rescinded
 * since the token (not in an initial sync, as Synapse without {@code include_leave}).
 *
 * <p>Account data, global and per joined room ({@code m.fully_read} among it), is what changed
 * since the token (all of it in an initial sync); each joined room has its
 * {@code unread_notifications} by the user's push rules. Ephemeral events (typing, receipts) and
 * presence come from their features, which take stream positions from the same sequence
 * ({@link #addEphemeral}, {@link #presence}); {@code set_presence} is applied when the sync starts.
 *
 * <p>A filter sets the timeline limit, filters presence, account data and the rooms' ephemeral
 * events and account data, and picks the rooms ({@link SyncFilter}). Timelines show what history
 * visibility lets the user see ({@link EventVisibility}); the state sections are not filtered.
 * To-device messages and device lists are always empty.
 */
@Service
public class SyncService implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(SyncService.class);

    /** The longest a sync waits for news, whatever the client asks (Synapse has no cap; clients ask 30 s). */
    static final long MAX_TIMEOUT_MS = 30_000;
    /** Events per room timeline unless a filter says otherwise (Synapse's default). */
    static final int DEFAULT_TIMELINE_LIMIT = 10;
    static final int MAX_TIMELINE_LIMIT = 1_000;
    /** Steps back through a user's member events when a membership changed after the position synced to. */
    private static final int MAX_MEMBERSHIP_STEPS = 50;

    /**
     * A parsed sync request.
     *
     * @param since         null for an initial sync
     * @param timeoutMs     how long to wait for news, already capped
     * @param filter        what the request's filter changes (timeline limit, sections' filters, rooms)
     * @param setPresence   null (online), online, unavailable or offline (spec: what syncing says of the user)
     */
    public record Request(StreamToken since, long timeoutMs, boolean fullState, SyncFilter filter, String setPresence) {

        /** Events per room timeline. */
        int timelineLimit() {
            return filter.timelineLimit();
        }
    }

    /** One computed answer: its body, whether it tells the client anything, and what to wait on if not. */
    private record Answer(Map<String, Object> body, boolean empty, Set<String> wakeKeys) {}

    /** A membership with the stream position of its event. */
    private record MemberAt(String membership, String eventId, long position) {}

    private final StreamReads reads;
    private final StreamNotifier notifier;
    private final EventGraph graph;
    private final RoomMemberships memberships;
    private final OutOfBandMemberships outOfBand;
    private final StrippedState strippedState;
    private final AccountData accountData;
    private final NotificationCounts notifications;
    private final ClientEventFormat eventFormat;
    private final EventVisibility visibility;
    private final ExecutorService recomputing;
    private final Typing typing;
    private final Receipts receipts;
    private final Presence presence;

    SyncService(StreamReads reads, StreamNotifier notifier, EventGraph graph, RoomMemberships memberships,
                OutOfBandMemberships outOfBand, StrippedState strippedState, AccountData accountData,
                NotificationCounts notifications, ClientEventFormat eventFormat, Typing typing, Receipts receipts,
                Presence presence, EventVisibility visibility) {
        this.visibility = visibility;
        this.reads = reads;
        this.notifier = notifier;
        this.graph = graph;
        this.memberships = memberships;
        this.outOfBand = outOfBand;
        this.strippedState = strippedState;
        this.accountData = accountData;
        this.notifications = notifications;
        this.eventFormat = eventFormat;
        this.typing = typing;
        this.receipts = receipts;
        this.presence = presence;
        AtomicInteger n = new AtomicInteger();
        // Syncs woken after waiting compute here, never on the thread that woke them.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(8, 8, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "sync-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.recomputing = pool;
    }

    /**
     * Answers a sync: at once when there is something to tell, for an initial sync, for
     * {@code full_state} or with no timeout; else once something for this user is committed, or
     * with an empty answer when the timeout passes. The first look happens on the calling thread.
     */
    public CompletableFuture<Map<String, Object>> sync(ClientUser user, Request request) {
        presenceOnSync(user, request);
        long deadline = System.currentTimeMillis() + request.timeoutMs();
        long generation = notifier.generation();
        Answer answer = compute(user, request);
        return continueWith(user, request, deadline, answer, generation)
                .whenComplete((body, error) -> presenceAfterSync(user, request));
    }

    private CompletableFuture<Map<String, Object>> continueWith(ClientUser user, Request request, long deadline,
                                                                Answer answer, long generation) {
        long left = deadline - System.currentTimeMillis();
        if (!answer.empty() || request.since() == null || request.fullState() || left <= 0) {
            return CompletableFuture.completedFuture(answer.body());
        }
        return notifier.await(answer.wakeKeys(), generation, left).thenComposeAsync(v -> {
            long g = notifier.generation();
            return continueWith(user, request, deadline, compute(user, request), g);
        }, recomputing);
    }

    private Answer compute(ClientUser user, Request request) {
        String userId = user.userId();
        Long since = request.since() == null ? null : request.since().position();
        long upTo = reads.safePosition();
        if (since != null && since > upTo) {
            // A token from ahead of the stream (say, of a database since reset): nothing is new until it gets there.
            upTo = since;
        }
        Map<String, Object> join = new LinkedHashMap<>();
        Map<String, Object> invite = new LinkedHashMap<>();
        Map<String, Object> knock = new LinkedHashMap<>();
        Map<String, Object> leave = new LinkedHashMap<>();
        Set<String> wakeKeys = new HashSet<>();
        wakeKeys.add(userId);

        Map<String, StreamReads.MembershipRow> local = new HashMap<>();
        reads.memberships(userId).forEach(m -> local.put(m.roomId(), m));
        Map<String, StreamReads.OutOfBandRow> remote = new HashMap<>();
        reads.outOfBand(userId).forEach(o -> remote.put(o.roomId(), o));
        Set<String> rooms = new HashSet<>(local.keySet());
        rooms.addAll(remote.keySet());
        rooms.removeIf(roomId -> !request.filter().includesRoom(roomId));
        Set<String> forgotten = since == null ? Set.of() : reads.forgotten(userId);

        List<String> joinedBefore = new ArrayList<>();
        List<String> wholeState = new ArrayList<>();
        List<String> sortedRooms = new ArrayList<>(rooms);
        sortedRooms.sort(null);
        for (String roomId : sortedRooms) {
            StreamReads.MembershipRow row = local.get(roomId);
            MemberAt mine = row == null ? null : memberAt(roomId, userId,
                    new MemberAt(row.membership(), row.eventId(), row.position()), upTo);
            StreamReads.OutOfBandRow oob = remote.get(roomId);
            if (oob != null && oob.position() > upTo) {
                oob = null; // changed after the position we sync to: next time
            }
            long minePosition = mine == null ? -1 : mine.position();
            boolean changed = since == null || request.fullState();
            boolean pending = oob != null && ("invite".equals(oob.membership()) || "knock".equals(oob.membership()));
            if (pending && oob.position() > minePosition) {
                // An invite or knock of ours in a room this server is not in.
                if (changed || oob.position() > since) {
                    outOfBandSection(roomId, userId, oob.membership(), invite, knock);
                }
                continue;
            }
            boolean leftOrAbsent = mine == null || "leave".equals(mine.membership()) || "ban".equals(mine.membership());
            if (oob != null && !pending && oob.position() > minePosition && leftOrAbsent) {
                // That invite or knock ended (rejected, rescinded, refused) without a room event of ours:
                // the leave that ended it, when we hold one.
                if (since != null && oob.position() > since && !forgotten.contains(roomId)) {
                    leave.put(roomId, leftRoom(outOfBandLeave(user, roomId, oob), List.of(), false,
                            StreamToken.at(oob.position())));
                }
                continue;
            }
            if (mine == null) {
                continue;
            }
            switch (mine.membership()) {
                case "join" -> {
                    wakeKeys.add(roomId);
                    if (since == null || request.fullState()) {
                        wholeState.add(roomId);
                    } else if (mine.position() > since && !wasJoinedAt(roomId, userId, mine, since)) {
                        wholeState.add(roomId); // newly joined
                    } else {
                        joinedBefore.add(roomId);
                    }
                }
                case "invite", "knock" -> {
                    if (changed || mine.position() > since) {
                        localStrippedSection(roomId, userId, mine, "invite".equals(mine.membership()) ? invite : knock);
                    }
                }
                case "leave", "ban" -> {
                    if (since != null && mine.position() > since && !forgotten.contains(roomId)) {
                        leave.put(roomId, leftRoomSection(user, roomId, mine, since, request.timelineLimit()));
                    }
                }
                default -> {
                }
            }
        }

        for (String roomId : wholeState) {
            join.put(roomId, joinedRoom(user, roomId, since == null ? 0 : since, upTo, request.timelineLimit(), null));
        }
        List<AccountData.Entry> global = accountData.globalSince(userId, since, upTo);
        Map<String, List<Map<String, Object>>> roomData = roomAccountData(userId, wholeState, joinedBefore, since, upTo,
                request.filter().roomAccountData());
        if (since != null) {
            // Rooms whose state was replaced wholesale (a partial-state join caught up): all of it again.
            Set<String> reset = reads.roomsReset(joinedBefore, since, upTo);
            for (String roomId : reset) {
                join.put(roomId, joinedRoom(user, roomId, since, upTo, request.timelineLimit(), null));
            }
            for (String roomId : reads.roomsWithEvents(joinedBefore, since, upTo)) {
                if (!reset.contains(roomId)) {
                    join.put(roomId, joinedRoom(user, roomId, since, upTo, request.timelineLimit(), since));
                }
            }
            for (String roomId : roomData.keySet()) {
                if (!join.containsKey(roomId)) {
                    // Only its account data changed (a tag, say): the room is listed for that.
                    join.put(roomId, joinedRoom(user, roomId, since, upTo, request.timelineLimit(), since));
                }
            }
        }
        addEphemeral(user, since, upTo, request.filter(), wholeState, joinedBefore, join);
        PushRuleSet rules = join.isEmpty() ? null : notifications.ruleSet(userId);
        for (Map.Entry<String, Object> e : join.entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> room = (Map<String, Object>) e.getValue();
            room.put("account_data", Map.of("events", roomData.getOrDefault(e.getKey(), List.of())));
            room.put("unread_notifications", notifications.counts(userId, e.getKey(), upTo, rules).json());
        }

        List<Map<String, Object>> presenceEvents = request.filter().presence().apply(presence(user, since, upTo));
        List<Map<String, Object>> globalData = request.filter().accountData().apply(
                global.stream().map(AccountData.Entry::event).toList());

        Map<String, Object> roomsBody = new LinkedHashMap<>();
        roomsBody.put("join", sorted(join));
        roomsBody.put("invite", sorted(invite));
        roomsBody.put("leave", sorted(leave));
        roomsBody.put("knock", sorted(knock));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("next_batch", StreamToken.at(upTo).toString());
        body.put("rooms", roomsBody);
        body.put("presence", Map.of("events", presenceEvents));
        body.put("account_data", Map.of("events", globalData));
        body.put("to_device", Map.of("events", List.of()));
        body.put("device_lists", Map.of("changed", List.of(), "left", List.of()));
        boolean empty = join.isEmpty() && invite.isEmpty() && knock.isEmpty() && leave.isEmpty() && globalData.isEmpty()
                && presenceEvents.isEmpty();
        return new Answer(body, empty, wakeKeys);
    }

    /**
     * Room account data by room, as the filter lets through: all of it for rooms whose whole state is
     * sent, what changed since the token otherwise. A room whose changes the filter drops is absent.
     */
    private Map<String, List<Map<String, Object>>> roomAccountData(String userId, List<String> wholeState,
                                                                  List<String> joinedBefore, Long since, long upTo,
                                                                  RoomEventFilter filter) {
        Map<String, List<Map<String, Object>>> byRoom = new HashMap<>();
        List<AccountData.Entry> entries = new ArrayList<>(accountData.roomsSince(userId, wholeState, null, upTo));
        if (since != null) {
            entries.addAll(accountData.roomsSince(userId, joinedBefore, since, upTo));
        }
        for (AccountData.Entry e : entries) {
            byRoom.computeIfAbsent(e.roomId(), r -> new ArrayList<>()).add(e.event());
        }
        byRoom.replaceAll((roomId, events) -> filter.apply(events));
        byRoom.values().removeIf(List::isEmpty);
        return byRoom;
    }

    // --- Ephemeral events and presence (features typing, receipts, presence) ---

    /**
     * Typing and receipts in {@code rooms.join.*.ephemeral} of the user's joined rooms: all of it
     * for rooms seen whole (an initial sync, a room newly joined, {@code full_state}), else what changed after
     * {@code since}. A joined room with only such news gets an entry with an empty timeline.
     */
    private void addEphemeral(ClientUser user, Long since, long upTo, SyncFilter filter, List<String> wholeState,
                              List<String> joinedBefore, Map<String, Object> join) {
        Map<String, Long> after = new HashMap<>();
        wholeState.forEach(roomId -> after.put(roomId, 0L));
        if (since != null) {
            joinedBefore.forEach(roomId -> after.put(roomId, since));
        }
        if (after.isEmpty()) {
            return;
        }
        Map<String, Map<String, Object>> typingEvents = typing.events(after, upTo);
        Map<String, List<Map<String, Object>>> receiptEvents = receipts.events(user.userId(), after, upTo);
        Set<String> rooms = new TreeSet<>(typingEvents.keySet());
        rooms.addAll(receiptEvents.keySet());
        for (String roomId : rooms) {
            @SuppressWarnings("unchecked")
            Map<String, Object> room = (Map<String, Object>) join.get(roomId);
            List<Map<String, Object>> ephemeral = new ArrayList<>();
            if (typingEvents.containsKey(roomId)) {
                ephemeral.add(typingEvents.get(roomId));
            }
            ephemeral.addAll(receiptEvents.getOrDefault(roomId, List.of()));
            ephemeral = filter.ephemeral().apply(ephemeral);
            if (room == null) {
                if (ephemeral.isEmpty()) {
                    continue; // only news the filter leaves out: no entry for the room
                }
                room = joinedRoom(user, roomId, since, upTo, filter.timelineLimit(), since);
                join.put(roomId, room);
            }
            room.put("ephemeral", Map.of("events", ephemeral));
        }
    }

    /** {@code presence.events}: the user's own and that of everyone sharing a room with them, changed after {@code since}. */
    private List<Map<String, Object>> presence(ClientUser user, Long since, long upTo) {
        return presence.events(user.userId(), since, upTo);
    }

    /** {@code set_presence} (spec sync.yaml): syncing marks the user online unless it says otherwise. */
    private void presenceOnSync(ClientUser user, Request request) {
        presence.syncing(user.userId(), request.setPresence(), request.timeoutMs());
    }

    /** A sync that answered keeps its user online for a while longer (presence's offline timeout). */
    private void presenceAfterSync(ClientUser user, Request request) {
        try {
            presence.syncEnded(user.userId(), request.setPresence());
        } catch (RuntimeException e) {
            log.warn("Noting the end of {}'s sync for presence failed", user.userId(), e);
        }
    }

    private static Map<String, Object> sorted(Map<String, Object> rooms) {
        return new TreeMap<>(rooms);
    }

    /**
     * A joined room: the timeline in (after, upTo], and either the whole state before it
     * ({@code deltaSince} null) or what changed between {@code deltaSince} and the timeline's start.
     */
    private Map<String, Object> joinedRoom(ClientUser user, String roomId, long after, long upTo, int limit,
                                           Long deltaSince) {
        Timeline timeline = timeline(user, roomId, after, upTo, limit);
        List<Pdu> state = deltaSince == null ? fullStateBefore(roomId, timeline, upTo)
                : stateChanges(roomId, timeline, deltaSince);
        Map<String, Object> room = new LinkedHashMap<>();
        room.put("summary", deltaSince == null ? summary(roomId, user.userId()) : Map.of());
        room.put("state", Map.of("events", format(user, state)));
        room.put("timeline", timeline.body());
        room.put("ephemeral", Map.of("events", List.of()));
        return room;
    }

    /**
     * A room left since the token. Someone who was joined gets the timeline up to their leave
     * (the state as for a joined room); someone who was only invited, knocking or never in sees
     * just their own membership event.
     */
    private Map<String, Object> leftRoomSection(ClientUser user, String roomId, MemberAt left, long since, int limit) {
        Optional<Pdu> leaveEvent = graph.event(left.eventId());
        String before = graph.stateBefore(left.eventId()).map(s -> s.get(StateKey.member(user.userId())))
                .flatMap(graph::event).flatMap(Pdu::membership).orElse(null);
        if (!"join".equals(before) || leaveEvent.isEmpty()) {
            List<Map<String, Object>> events = leaveEvent.map(p -> List.of(format(user, p))).orElse(List.of());
            return leftRoom(events, List.of(), false, StreamToken.at(left.position() - 1));
        }
        Timeline timeline = timeline(user, roomId, since, left.position(), limit);
        List<Pdu> state = wasJoinedAt(roomId, user.userId(), left, since) ? stateChanges(roomId, timeline, since)
                : fullStateBefore(roomId, timeline, left.position());
        Map<String, Object> room = new LinkedHashMap<>();
        room.put("state", Map.of("events", format(user, state)));
        room.put("timeline", timeline.body());
        room.put("account_data", Map.of("events", List.of()));
        return room;
    }

    private static Map<String, Object> leftRoom(List<Map<String, Object>> timeline, List<Map<String, Object>> state,
                                                boolean limited, StreamToken prevBatch) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("events", timeline);
        t.put("limited", limited);
        t.put("prev_batch", prevBatch.toString());
        Map<String, Object> room = new LinkedHashMap<>();
        room.put("state", Map.of("events", state));
        room.put("timeline", t);
        room.put("account_data", Map.of("events", List.of()));
        return room;
    }

    /** An invite or knock in a room we are in: stripped state as of that event, then the event itself. */
    private void localStrippedSection(String roomId, String userId, MemberAt member, Map<String, Object> section) {
        Pdu event = graph.event(member.eventId()).orElse(null);
        if (event == null) {
            return;
        }
        RoomState state = graph.stateAfter(member.eventId()).or(() -> graph.stateBefore(member.eventId()))
                .orElse(RoomState.EMPTY);
        boolean invited = "invite".equals(member.membership());
        List<Map<String, Object>> events = new ArrayList<>();
        for (Map<String, Object> pdu : strippedState.pdus(state, invited ? event.sender() : null)) {
            if (!isMemberEventOf(pdu, userId)) {
                events.add(StrippedState.strip(pdu));
            }
        }
        events.add(ClientEvents.format(event));
        section.put(roomId, Map.of(invited ? "invite_state" : "knock_state", Map.of("events", events)));
    }

    /** An invite or knock in a room we are not in: the stripped state the other server sent, then the event. */
    private void outOfBandSection(String roomId, String userId, String membership, Map<String, Object> invite,
                                  Map<String, Object> knock) {
        OutOfBandMemberships.Entry entry = outOfBand.find(roomId, userId).orElse(null);
        if (entry == null || !membership.equals(entry.membership())) {
            return; // changed again since we read its position: the next sync shows it
        }
        List<Map<String, Object>> events = new ArrayList<>();
        for (Map<String, Object> e : entry.strippedState()) {
            if (!isMemberEventOf(e, userId)) {
                events.add(e);
            }
        }
        events.add(ClientEvents.format(entry.event()));
        boolean invited = "invite".equals(membership);
        (invited ? invite : knock).put(roomId, Map.of(invited ? "invite_state" : "knock_state", Map.of("events", events)));
    }

    /** The leave that ended an out-of-band invite or knock, when we hold one (ended rows before them have none). */
    private List<Map<String, Object>> outOfBandLeave(ClientUser user, String roomId, StreamReads.OutOfBandRow ended) {
        if (!"leave".equals(ended.membership())) {
            return List.of();
        }
        return outOfBand.find(roomId, user.userId()).filter(e -> "leave".equals(e.membership()))
                .map(e -> List.of(format(user, e.event()))).orElse(List.of());
    }

    private static boolean isMemberEventOf(Map<String, Object> event, String userId) {
        return "m.room.member".equals(event.get("type")) && userId.equals(event.get("state_key"));
    }

    /** The timeline of a room in (after, upTo]: its last {@code limit} visible events. */
    private record Timeline(List<Pdu> events, List<Long> positions, boolean limited, StreamToken prevBatch,
                            Map<String, Object> body) {}

    private Timeline timeline(ClientUser user, String roomId, long after, long upTo, int limit) {
        List<StreamReads.Positioned> rows = reads.newestFirst(roomId, after, upTo, limit + 1);
        boolean limited = rows.size() > limit;
        List<StreamReads.Positioned> kept = new ArrayList<>(rows.subList(0, Math.min(limit, rows.size())));
        Collections.reverse(kept);
        Map<String, Pdu> pdus = graph.events(kept.stream().map(StreamReads.Positioned::eventId).toList());
        // History visibility: a member does not see what the room kept from them (say, before they joined).
        Set<String> visible = new HashSet<>();
        visibility.visibleTo(user.userId(), new ArrayList<>(pdus.values()), false).forEach(p -> visible.add(p.eventId()));
        List<Pdu> events = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        for (StreamReads.Positioned p : kept) {
            Pdu pdu = pdus.get(p.eventId());
            if (pdu != null && visible.contains(p.eventId())) {
                events.add(pdu);
                positions.add(p.position());
            }
        }
        // prev_batch: just before the first event read (shown or hidden), or where the timeline would start.
        StreamToken prevBatch = StreamToken.at(kept.isEmpty() ? upTo : kept.get(0).position() - 1);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("events", format(user, events));
        body.put("limited", limited);
        body.put("prev_batch", prevBatch.toString());
        return new Timeline(events, positions, limited, prevBatch, body);
    }

    /** The whole state at the start of the timeline (or at {@code upTo} when the timeline is empty). */
    private List<Pdu> fullStateBefore(String roomId, Timeline timeline, long upTo) {
        Optional<RoomState> state = timeline.events().isEmpty() ? stateAt(roomId, upTo)
                : graph.stateBefore(timeline.events().get(0).eventId());
        return stateEvents(state.orElse(RoomState.EMPTY), timeline);
    }

    /**
     * The state that changed between {@code since} and the start of the timeline (spec: "updates to
     * the state, between the time indicated by the since parameter, and the start of the
     * timeline"): nothing when the timeline holds everything since, the difference after a gap.
     */
    private List<Pdu> stateChanges(String roomId, Timeline timeline, long since) {
        if (timeline.events().isEmpty()) {
            return List.of();
        }
        RoomState start = graph.stateBefore(timeline.events().get(0).eventId()).orElse(null);
        RoomState then = stateAt(roomId, since).orElse(null);
        if (start == null) {
            return List.of();
        }
        if (then == null) {
            return stateEvents(start, timeline);
        }
        Map<StateKey, String> changed = start.diffFrom(then);
        changed.values().removeIf(Objects::isNull);
        return stateEvents(RoomState.of(changed), timeline);
    }

    /** The state after the last visible event at or before a position. */
    private Optional<RoomState> stateAt(String roomId, long position) {
        List<StreamReads.Positioned> last = reads.newestFirst(roomId, 0, position, 1);
        return last.isEmpty() ? Optional.empty() : graph.stateAfter(last.get(0).eventId());
    }

    /** The events of a state, by type and state key, leaving out those the timeline shows. */
    private List<Pdu> stateEvents(RoomState state, Timeline timeline) {
        Set<String> inTimeline = new HashSet<>();
        timeline.events().forEach(p -> inTimeline.add(p.eventId()));
        Map<String, StateKey> ids = new HashMap<>();
        state.forEach((k, id) -> {
            if (!inTimeline.contains(id)) {
                ids.put(id, k);
            }
        });
        List<Pdu> events = new ArrayList<>(graph.events(ids.keySet()).values());
        events.sort(Comparator.comparing((Pdu p) -> ids.get(p.eventId())));
        return events;
    }

    private Map<String, Object> summary(String roomId, String userId) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("m.heroes", memberships.heroes(roomId, userId));
        Map<String, Integer> counts = reads.memberCounts(roomId);
        summary.put("m.joined_member_count", counts.getOrDefault("join", 0));
        summary.put("m.invited_member_count", counts.getOrDefault("invite", 0));
        return summary;
    }

    /**
     * The user's membership as of a stream position: the current one, or, when that changed after
     * the position, the one before it (from the state before each member event), or null.
     */
    private MemberAt memberAt(String roomId, String userId, MemberAt current, long position) {
        MemberAt m = current;
        for (int step = 0; m != null && m.position() > position; step++) {
            if (step == MAX_MEMBERSHIP_STEPS) {
                return null;
            }
            String previous = graph.stateBefore(m.eventId()).map(s -> s.get(StateKey.member(userId))).orElse(null);
            if (previous == null) {
                return null;
            }
            Optional<Pdu> pdu = graph.event(previous);
            Optional<Long> at = reads.position(previous);
            if (pdu.isEmpty() || at.isEmpty() || pdu.get().membership().isEmpty()) {
                return null;
            }
            m = new MemberAt(pdu.get().membership().get(), previous, at.get());
        }
        return m;
    }

    private boolean wasJoinedAt(String roomId, String userId, MemberAt current, long position) {
        MemberAt then = memberAt(roomId, userId, current, position);
        return then != null && "join".equals(then.membership());
    }

    List<Map<String, Object>> format(ClientUser user, Collection<Pdu> events) {
        return eventFormat.format(user, events);
    }

    private Map<String, Object> format(ClientUser user, Pdu event) {
        return eventFormat.format(user, event);
    }

    @Override
    public void destroy() {
        recomputing.shutdownNow();
    }
}
