package org.vestibule.keys;

import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;
import org.vestibule.event.Identifiers;
import org.vestibule.event.StrictJsonParser;

/**
 * The notary endpoints (spec {@code keys_query.yaml}): {@code GET /_matrix/key/v2/query/{serverName}}
 * and {@code POST /_matrix/key/v2/query}. No authentication; answers are signed by us.
 */
@RestController
class KeyQueryController {

    /** A query may name at most this many servers: each unknown one costs a fetch. */
    static final int MAX_SERVERS = 100;
    private static final StrictJsonParser.Limits QUERY = new StrictJsonParser.Limits(1024 * 1024, 8);

    private final RemoteServerKeys keys;
    private final Clock clock;
    // Servers of one query are fetched side by side; a daemon pool, not a bean, so Boot's task executor stays as it is.
    private final ExecutorService fetches = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "notary-key-fetch");
        t.setDaemon(true);
        return t;
    });

    KeyQueryController(RemoteServerKeys keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    @PreDestroy
    void stop() {
        fetches.shutdownNow();
    }

    @GetMapping("/_matrix/key/v2/query/{serverName}")
    Map<String, Object> query(@PathVariable String serverName,
                              @RequestParam(name = "minimum_valid_until_ts", required = false) Long minimumValidUntilTs) {
        if (!Identifiers.isServerName(serverName)) {
            throw MatrixException.invalidParam("'" + serverName + "' is not a valid server name");
        }
        long minimum = minimumValidUntilTs != null ? minimumValidUntilTs : clock.millis();
        return Map.of("server_keys", keys.notaryDocuments(serverName, Set.of(), minimum));
    }

    @PostMapping("/_matrix/key/v2/query")
    Map<String, Object> query(@RequestBody(required = false) byte[] body) {
        Map<String, Object> request = StrictJsonParser.parseObject(body == null ? new byte[0] : body, QUERY);
        if (!(request.get("server_keys") instanceof Map<?, ?> servers)) {
            throw MatrixException.badJson("server_keys must be an object of server names");
        }
        if (servers.size() > MAX_SERVERS) {
            throw new MatrixException(400, Errcode.INVALID_PARAM, "a query may name at most " + MAX_SERVERS
                    + " servers, not " + servers.size());
        }
        long now = clock.millis();
        List<CompletableFuture<List<Map<String, Object>>>> answers = new ArrayList<>();
        for (Map.Entry<?, ?> server : servers.entrySet()) {
            String name = (String) server.getKey();
            if (!(server.getValue() instanceof Map<?, ?> criteria)) {
                throw MatrixException.badJson("server_keys." + name + " must be an object of key IDs");
            }
            Set<String> keyIds = new LinkedHashSet<>();
            long minimum = Long.MIN_VALUE;
            for (Map.Entry<?, ?> key : criteria.entrySet()) {
                if (!(key.getValue() instanceof Map<?, ?> criterion)) {
                    throw MatrixException.badJson("server_keys." + name + "." + key.getKey() + " must be an object");
                }
                Object ts = criterion.get("minimum_valid_until_ts");
                if (ts != null && !(ts instanceof Long)) {
                    throw MatrixException.badJson("minimum_valid_until_ts must be an integer");
                }
                minimum = Math.max(minimum, ts != null ? (Long) ts : now);
                keyIds.add((String) key.getKey());
            }
            long min = minimum == Long.MIN_VALUE ? now : minimum;
            if (Identifiers.isServerName(name)) {
                answers.add(CompletableFuture.supplyAsync(() -> keys.notaryDocuments(name, keyIds, min), fetches));
            }
        }
        List<Object> documents = new ArrayList<>();
        for (CompletableFuture<List<Map<String, Object>>> answer : answers) {
            documents.addAll(answer.join());
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("server_keys", documents);
        return response;
    }
}
