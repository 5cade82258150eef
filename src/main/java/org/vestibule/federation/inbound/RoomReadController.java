package org.vestibule.federation.inbound;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.keys.ServerKeyring;
import org.vestibule.room.RoomHistory;
import org.vestibule.room.ServerAcls;

/**
 * What servers in a room may read of it (spec server-server §Retrieving events, §Backfilling,
 * §Authentication chains): event, state, state_ids, event_auth, backfill, get_missing_events.
 * A server with no member in the room gets 403, as does one the room's server ACL denies (checked
 * for the paths with a room by {@link ServerAclInterceptor}; for /event, once the event names it);
 * events its users could not see come redacted.
 */
@RestController
class RoomReadController {

    private static final int MAX_LISTED_IDS = 100;

    private final RoomHistory history;
    private final ServerKeyring keyring;
    private final Clock clock;
    private final ServerAcls acls;

    RoomReadController(RoomHistory history, ServerKeyring keyring, Clock clock, ServerAcls acls) {
        this.history = history;
        this.keyring = keyring;
        this.clock = clock;
        this.acls = acls;
    }

    @GetMapping("/_matrix/federation/v1/event/{eventId}")
    Map<String, Object> event(Origin origin, @PathVariable String eventId) {
        Pdu pdu = history.event(null, eventId);
        acls.require(origin.serverName(), pdu.roomId());
        history.requireServerInRoom(origin.serverName(), pdu.roomId(), eventId);
        return envelope(List.of(history.eventFor(origin.serverName(), pdu).json()));
    }

    @GetMapping("/_matrix/federation/v1/state/{roomId}")
    Map<String, Object> state(Origin origin, @PathVariable String roomId, @RequestParam("event_id") String eventId) {
        history.requireServerInRoom(origin.serverName(), roomId, eventId);
        RoomHistory.StateAtEvent state = history.stateBefore(roomId, eventId);
        Map<String, Pdu> events = history.events(union(state.stateIds(), state.authChainIds()));
        return Map.of("pdus", jsonOf(state.stateIds(), events), "auth_chain", jsonOf(state.authChainIds(), events));
    }

    @GetMapping("/_matrix/federation/v1/state_ids/{roomId}")
    Map<String, Object> stateIds(Origin origin, @PathVariable String roomId, @RequestParam("event_id") String eventId) {
        history.requireServerInRoom(origin.serverName(), roomId, eventId);
        RoomHistory.StateAtEvent state = history.stateBefore(roomId, eventId);
        return Map.of("pdu_ids", state.stateIds(), "auth_chain_ids", state.authChainIds());
    }

    @GetMapping("/_matrix/federation/v1/event_auth/{roomId}/{eventId}")
    Map<String, Object> eventAuth(Origin origin, @PathVariable String roomId, @PathVariable String eventId) {
        history.requireServerInRoom(origin.serverName(), roomId, eventId);
        List<String> chain = history.authChain(roomId, eventId);
        return Map.of("auth_chain", jsonOf(chain, history.events(chain)));
    }

    @GetMapping("/_matrix/federation/v1/backfill/{roomId}")
    Map<String, Object> backfill(Origin origin, @PathVariable String roomId, @RequestParam("v") List<String> from,
                                 @RequestParam(name = "limit", defaultValue = "10") int limit) {
        if (from.size() > MAX_LISTED_IDS) {
            throw MatrixException.invalidParam("At most " + MAX_LISTED_IDS + " events may be given to backfill from");
        }
        history.requireServerInRoom(origin.serverName(), roomId, from.isEmpty() ? null : from.get(0));
        return envelope(history.backfill(origin.serverName(), roomId, from, limit).stream().map(p -> (Object) p.json())
                .toList());
    }

    @PostMapping("/_matrix/federation/v1/get_missing_events/{roomId}")
    Map<String, Object> missingEvents(Origin origin, @PathVariable String roomId, @RequestBody byte[] raw) {
        Map<String, Object> body = StrictJsonParser.parseObject(raw, StrictJsonParser.Limits.REQUEST);
        List<String> earliest = ids(body, "earliest_events");
        List<String> latest = ids(body, "latest_events");
        history.requireServerInRoom(origin.serverName(), roomId, latest.isEmpty() ? null : latest.get(0));
        long limit = Json.integer(body, "limit").orElse(10L);
        long minDepth = Json.integer(body, "min_depth").orElse(0L);
        List<Pdu> events = history.missingEvents(origin.serverName(), roomId, earliest, latest,
                (int) Math.min(limit, Integer.MAX_VALUE), minDepth);
        return Map.of("events", events.stream().map(p -> (Object) p.json()).toList());
    }

    private static List<String> ids(Map<String, Object> body, String key) {
        List<String> ids = new ArrayList<>();
        for (Object o : Json.list(body, key)) {
            if (!(o instanceof String s)) {
                throw MatrixException.badJson(key + " must list event IDs");
            }
            ids.add(s);
        }
        if (ids.size() > MAX_LISTED_IDS) {
            throw MatrixException.invalidParam(key + " lists more than " + MAX_LISTED_IDS + " events");
        }
        return ids;
    }

    private Map<String, Object> envelope(List<Object> pdus) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("origin", keyring.serverName());
        out.put("origin_server_ts", clock.millis());
        out.put("pdus", pdus);
        return out;
    }

    private static List<Object> jsonOf(List<String> ids, Map<String, Pdu> events) {
        List<Object> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            Pdu p = events.get(id);
            if (p != null) {
                out.add(p.json());
            }
        }
        return out;
    }

    private static List<String> union(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
