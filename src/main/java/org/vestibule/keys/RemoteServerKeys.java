package org.vestibule.keys;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.Json;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.KeyIds;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.event.VerifyKey;

/**
 * Other servers' signing keys (spec server-server §Retrieving server keys): from memory, else
 * PostgreSQL, else {@code GET /_matrix/key/v2/server} on the server itself, whose document must
 * name the server and be signed by every key it lists. Our own keys come from the
 * {@link ServerKeyring} without any network.
 *
 * <p>Concurrent fetches of one server share a single request, and a server is fetched at most
 * once per {@code vestibule.keys.remote-refetch-interval}, whether it failed or just lacked the
 * key we wanted, so peers cannot make us hammer anyone with made-up key IDs.
 */
@Component
public class RemoteServerKeys implements KeyResolver {

    /** The answer to a key lookup. */
    public sealed interface KeyLookup permits Found, NotFound, Unreachable {}

    /** The key, valid long enough. */
    public record Found(VerifyKey key) implements KeyLookup {}

    /** The server answered, but has no such key valid long enough (or we asked it too recently to ask again). */
    public record NotFound(String reason) implements KeyLookup {}

    /** We could not get the server's keys, and have no suitable cached one. */
    public record Unreachable(String reason) implements KeyLookup {}

    /** A key as we keep it in memory. {@code expiredTs} is set for old_verify_keys. */
    private record KnownKey(VerifyKey key, long validUntilTs, Long expiredTs) {}

    /**
     * When we last fetched a server's keys, why it failed (null: it worked), and how many fetches
     * the current refetch interval, begun at {@code windowStart}, has seen.
     */
    private record Attempt(long ts, String failure, long windowStart, int inWindow) {
        Attempt(long ts, String failure) {
            this(ts, failure, ts, 1);
        }
    }

    // A server that answered may have a new key since (restarted on a new database, rotated): it
    // is asked again at once for a key it lacked, this many times per refetch interval.
    private static final int FETCHES_PER_INTERVAL = 4;

    private static final Logger log = LoggerFactory.getLogger(RemoteServerKeys.class);
    private static final StrictJsonParser.Limits KEY_JSON = new StrictJsonParser.Limits(256 * 1024, 16);
    private static final int MAX_CACHED_SERVERS = 10_000;

    private final ServerKeyring keyring;
    private final ServerKeyDocument ourDocument;
    private final StoredRemoteKeys stored;
    private final TransactionTemplate tx;
    private final KeyDocumentFetcher fetcher;
    private final KeysProperties properties;
    private final Clock clock;
    private final Map<String, Map<String, KnownKey>> memory = new ConcurrentHashMap<>();
    private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Attempt>> inFlight = new ConcurrentHashMap<>();

    RemoteServerKeys(ServerKeyring keyring, ServerKeyDocument ourDocument, StoredRemoteKeys stored, TransactionTemplate tx,
                     KeyDocumentFetcher fetcher, KeysProperties properties, Clock clock) {
        this.keyring = keyring;
        this.ourDocument = ourDocument;
        this.stored = stored;
        this.tx = tx;
        this.fetcher = fetcher;
        this.properties = properties;
        this.clock = clock;
    }

    /**
     * A server's key whose validity reaches {@code minimumValidUntilTs}: for request signatures,
     * now; for events of room versions 5+, the event's origin_server_ts; 0 for any key the server
     * has or had (room versions 1–4 ignore validity). Keys in old_verify_keys count until their
     * expired_ts.
     */
    @Override
    public Optional<VerifyKey> key(String server, String keyId, long minimumValidUntilTs) {
        return key(server, keyId, minimumValidUntilTs, null);
    }

    @Override
    public Optional<VerifyKey> key(String server, String keyId, long minimumValidUntilTs, String peer) {
        return lookup(server, keyId, minimumValidUntilTs, peer) instanceof Found found ? Optional.of(found.key())
                : Optional.empty();
    }

    /** The key that may verify an event's signature (spec §Validating hashes and signatures, v5 signing requirements). */
    public Optional<VerifyKey> keyForEvent(String server, String keyId, RoomVersion version, long originServerTs) {
        return key(server, keyId, version.enforceKeyValidity() ? originServerTs : 0);
    }

    /** Like {@link #key}, saying why when there is no key. */
    public KeyLookup lookup(String server, String keyId, long minimumValidUntilTs) {
        return lookup(server, keyId, minimumValidUntilTs, null);
    }

    /**
     * Like {@link #key(String, String, long, String)}, saying why when there is no key. What the
     * server itself publishes comes first; then the configured notaries; for a key of our own name
     * that we do not hold, also {@code peer}: after a wipe, only others still know our old keys.
     */
    public KeyLookup lookup(String server, String keyId, long minimumValidUntilTs, String peer) {
        KeyLookup direct = keyring.isOurs(server) ? ours(keyId, minimumValidUntilTs) : direct(server, keyId,
                minimumValidUntilTs);
        if (direct instanceof Found) {
            return direct;
        }
        List<String> notaries = new ArrayList<>();
        if (peer != null && keyring.isOurs(server) && !keyring.isOurs(peer)) {
            notaries.add(peer);
        }
        notaries.addAll(properties.notaries());
        notaries.removeIf(n -> n.equals(server) || keyring.isOurs(n));
        if (notaries.isEmpty()) {
            return direct;
        }
        Map<String, KnownKey> cached = memory.get(server);
        KnownKey known = known(cached != null ? cached : load(server), keyId);
        for (String notary : new LinkedHashSet<>(notaries)) {
            if (suffices(known, minimumValidUntilTs)) {
                break;
            }
            askNotaryIfDue(notary, server, keyId, minimumValidUntilTs);
            known = known(memory.get(server), keyId);
        }
        if (suffices(known, minimumValidUntilTs)) {
            return new Found(known.key());
        }
        String reason = (direct instanceof NotFound n ? n.reason() : ((Unreachable) direct).reason())
                + "; no notary vouched for it (asked " + String.join(", ", new LinkedHashSet<>(notaries)) + ")";
        return direct instanceof NotFound ? new NotFound(reason) : new Unreachable(reason);
    }

    /** What the server's own key document, cached or fetched, says of the key. */
    private KeyLookup direct(String server, String keyId, long minimumValidUntilTs) {
        KnownKey known = known(memory.get(server), keyId);
        if (suffices(known, minimumValidUntilTs)) {
            return new Found(known.key());
        }
        // Another instance may have fetched it since: the database before the network.
        known = known(load(server), keyId);
        if (suffices(known, minimumValidUntilTs)) {
            return new Found(known.key());
        }
        Attempt attempt = fetchIfDue(server, known == null);
        known = known(memory.get(server), keyId);
        if (suffices(known, minimumValidUntilTs)) {
            return new Found(known.key());
        }
        if (attempt.failure() != null) {
            return new Unreachable("could not fetch the keys of " + server + ": " + attempt.failure()
                    + (known != null ? " (the cached key " + keyId + " is valid only until " + known.validUntilTs() + ")" : ""));
        }
        if (known == null) {
            return new NotFound(server + " does not publish a key " + keyId);
        }
        return new NotFound("key " + keyId + " of " + server + " is valid only until " + known.validUntilTs()
                + ", not until " + minimumValidUntilTs);
    }

    private KeyLookup ours(String keyId, long minimumValidUntilTs) {
        if (keyring.signingKey().keyId().equals(keyId)) {
            long validUntil = (Long) ourDocument.document().get("valid_until_ts");
            return validUntil >= minimumValidUntilTs ? new Found(keyring.signingKey().verifyKey())
                    : new NotFound("our key " + keyId + " is valid only until " + validUntil);
        }
        ServerKeyring.OldKey old = keyring.oldKeys().get(keyId);
        if (old != null && old.expiredTs() >= minimumValidUntilTs) {
            return new Found(old.key());
        }
        return new NotFound(old == null ? "we have no key " + keyId : "our key " + keyId + " expired at " + old.expiredTs());
    }

    private static KnownKey known(Map<String, KnownKey> keys, String keyId) {
        return keys == null ? null : keys.get(keyId);
    }

    private static boolean suffices(KnownKey key, long minimumValidUntilTs) {
        return key != null && key.validUntilTs() >= minimumValidUntilTs;
    }

    private Map<String, KnownKey> load(String server) {
        Map<String, KnownKey> keys = new HashMap<>();
        for (StoredRemoteKey row : stored.findByServerName(server)) {
            keys.put(row.keyId(), new KnownKey(new VerifyKey(row.keyId(), row.verifyKey()), row.validUntilTs(),
                    row.expiredTs()));
        }
        if (memory.size() >= MAX_CACHED_SERVERS) {
            memory.clear(); // bounded: peers choose which servers we look up; PostgreSQL keeps everything
        }
        memory.put(server, Map.copyOf(keys));
        return keys;
    }

    /** Fetches the server's keys unless that was done within the refetch interval; one fetch at a time per server. */
    private Attempt fetchIfDue(String server) {
        return fetchIfDue(server, false);
    }

    /** @param unknownKey the key wanted is not in what the server last sent: it may have a new one */
    private Attempt fetchIfDue(String server, boolean unknownKey) {
        long interval = properties.remoteRefetchInterval().toMillis();
        Attempt last = attempts.get(server);
        if (last != null && !due(last, clock.millis(), interval, unknownKey)) {
            return last;
        }
        CompletableFuture<Attempt> mine = new CompletableFuture<>();
        CompletableFuture<Attempt> running = inFlight.putIfAbsent(server, mine);
        if (running != null) {
            return running.join();
        }
        try {
            last = attempts.get(server);
            Attempt attempt = last != null && !due(last, clock.millis(), interval, unknownKey) ? last
                    : fetch(server, last, interval);
            mine.complete(attempt);
            return attempt;
        } finally {
            inFlight.remove(server, mine);
            mine.complete(new Attempt(clock.millis(), "the fetch was interrupted"));
        }
    }

    private static boolean due(Attempt last, long now, long interval, boolean unknownKey) {
        if (now - last.ts() >= interval) {
            return true;
        }
        return unknownKey && last.failure() == null
                && (now - last.windowStart() >= interval || last.inWindow() < FETCHES_PER_INTERVAL);
    }

    private Attempt fetch(String server, Attempt last, long interval) {
        long now = clock.millis();
        Attempt attempt;
        try {
            Map<String, Object> document = fetcher.fetch(server);
            store(server, document, now);
            load(server);
            attempt = new Attempt(now, null);
            log.debug("Fetched the keys of {}", server);
        } catch (KeyDocumentFetcher.Unreachable | InvalidKeyDocument e) {
            log.info("Could not fetch the keys of {}: {}", server, e.getMessage());
            attempt = new Attempt(now, e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Could not fetch the keys of {}", server, e);
            attempt = new Attempt(now, e.toString());
        }
        if (last != null && now - last.windowStart() < interval) {
            attempt = new Attempt(attempt.ts(), attempt.failure(), last.windowStart(), last.inWindow() + 1);
        }
        if (attempts.size() >= MAX_CACHED_SERVERS) {
            attempts.clear();
        }
        attempts.put(server, attempt);
        return attempt;
    }

    /**
     * Asks a notary for a server's key, at most once per refetch interval for that pair; keeps what
     * it vouches for: documents signed by the notary, whose own keys we fetch from it directly, and
     * self-signed by the key they list, as a document from the server itself would be.
     */
    private void askNotaryIfDue(String notary, String server, String keyId, long minimumValidUntilTs) {
        String pair = notary + " " + server;
        long now = clock.millis();
        Attempt last = attempts.get(pair);
        if (last != null && now - last.ts() < properties.remoteRefetchInterval().toMillis()) {
            return;
        }
        String failure = null;
        try {
            int kept = 0;
            for (Map<String, Object> document : fetcher.fetchFromNotary(notary, server, keyId, minimumValidUntilTs)) {
                requireNotarySignature(document, notary, now);
                store(server, document, now);
                kept++;
            }
            load(server);
            log.info("{} vouched for {} key document(s) of {}", notary, kept, server);
        } catch (KeyDocumentFetcher.Unreachable | InvalidKeyDocument e) {
            failure = e.getMessage();
            log.info("Could not get the key {} of {} from the notary {}: {}", keyId, server, notary, failure);
        }
        if (attempts.size() >= MAX_CACHED_SERVERS) {
            attempts.clear();
        }
        attempts.put(pair, new Attempt(now, failure));
    }

    private void requireNotarySignature(Map<String, Object> document, String notary, long now) {
        for (String keyId : Json.object(Json.object(document, "signatures"), notary).keySet()) {
            if (KeyIds.isEd25519(keyId) && direct(notary, keyId, now) instanceof Found found
                    && JsonSigning.verify(document, notary, found.key())) {
                return;
            }
        }
        throw new InvalidKeyDocument("the notary " + notary + " did not sign the document it returned with a key of its own");
    }

    /** A key document that fails the checks; its message says which. */
    static final class InvalidKeyDocument extends RuntimeException {
        InvalidKeyDocument(String message) {
            super(message, null, false, false);
        }
    }

    /** Checks a document fetched from {@code server} itself and stores its keys. */
    private void store(String server, Map<String, Object> document, long now) {
        if (!server.equals(document.get("server_name"))) {
            throw new InvalidKeyDocument("its key document names server_name " + document.get("server_name"));
        }
        if (!(document.get("valid_until_ts") instanceof Long validUntil)) {
            throw new InvalidKeyDocument("its key document has no integer valid_until_ts");
        }
        Map<String, VerifyKey> current = new HashMap<>();
        for (Map.Entry<String, Object> e : Json.object(document, "verify_keys").entrySet()) {
            if (KeyIds.isEd25519(e.getKey())) {
                current.put(e.getKey(), parseKey(e.getKey(), e.getValue(), "verify_keys"));
            }
        }
        if (current.isEmpty()) {
            throw new InvalidKeyDocument("its key document lists no ed25519 verify_keys");
        }
        for (VerifyKey key : current.values()) {
            if (!JsonSigning.verify(document, server, key)) {
                throw new InvalidKeyDocument("its key document is not signed by its own key " + key.keyId());
            }
        }
        long cappedValidUntil = Math.min(validUntil, now + properties.remoteCacheMax().toMillis());
        byte[] json = CanonicalJson.encode(document);
        tx.executeWithoutResult(status -> {
            for (Map.Entry<String, Object> e : Json.object(document, "old_verify_keys").entrySet()) {
                if (!KeyIds.isEd25519(e.getKey()) || current.containsKey(e.getKey())) {
                    continue;
                }
                Optional<Long> expired = e.getValue() instanceof Map<?, ?> m
                        ? Json.integer(asObject(m), "expired_ts") : Optional.empty();
                if (expired.isEmpty()) {
                    log.debug("Skipping old key {} of {}: no expired_ts", e.getKey(), server);
                    continue;
                }
                VerifyKey key;
                try {
                    key = parseKey(e.getKey(), e.getValue(), "old_verify_keys");
                } catch (InvalidKeyDocument bad) {
                    log.debug("Skipping old key {} of {}: {}", e.getKey(), server, bad.getMessage());
                    continue;
                }
                stored.upsertOldKey(server, key.keyId(), key.publicKey(), expired.get(), now, json);
            }
            for (VerifyKey key : current.values()) {
                stored.upsertVerifyKey(server, key.keyId(), key.publicKey(), cappedValidUntil, now, json);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    private static VerifyKey parseKey(String keyId, Object entry, String where) {
        if (!(entry instanceof Map<?, ?> m) || !(m.get("key") instanceof String base64)) {
            throw new InvalidKeyDocument("its " + where + " entry " + keyId + " has no key");
        }
        try {
            return VerifyKey.fromBase64(keyId, base64);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyDocument("its " + where + " entry " + keyId + " is not a valid ed25519 key");
        }
    }

    /**
     * The key documents a notary returns for {@code server} (spec {@code keys_query.yaml}), each
     * additionally signed by us: our own current document, or the documents we stored for the
     * requested keys (all when {@code keyIds} is empty), fetched afresh first when we lack a key
     * or nothing we have reaches {@code minimumValidUntilTs}. Empty when we know nothing and
     * cannot reach the server.
     */
    List<Map<String, Object>> notaryDocuments(String server, Set<String> keyIds, long minimumValidUntilTs) {
        if (keyring.isOurs(server)) {
            return List.of(ourDocument.document());
        }
        List<StoredRemoteKey> rows = relevant(stored.findByServerName(server), keyIds);
        Set<String> have = new LinkedHashSet<>();
        long bestValidUntil = Long.MIN_VALUE;
        for (StoredRemoteKey row : rows) {
            have.add(row.keyId());
            if (row.expiredTs() == null) {
                bestValidUntil = Math.max(bestValidUntil, row.validUntilTs());
            }
        }
        if (!have.containsAll(keyIds) || bestValidUntil < minimumValidUntilTs) {
            fetchIfDue(server);
            rows = relevant(stored.findByServerName(server), keyIds);
        }
        Set<ByteBuffer> seen = new LinkedHashSet<>();
        List<Map<String, Object>> documents = new ArrayList<>();
        for (StoredRemoteKey row : rows) {
            if (seen.add(ByteBuffer.wrap(row.keyJson()))) {
                Map<String, Object> document = StrictJsonParser.parseObject(row.keyJson(), KEY_JSON);
                documents.add(JsonSigning.sign(document, keyring.serverName(), keyring.signingKey()));
            }
        }
        return documents;
    }

    private static List<StoredRemoteKey> relevant(List<StoredRemoteKey> rows, Set<String> keyIds) {
        return keyIds.isEmpty() ? rows : rows.stream().filter(r -> keyIds.contains(r.keyId())).toList();
    }
}
