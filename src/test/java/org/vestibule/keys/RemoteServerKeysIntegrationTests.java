package org.vestibule.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import org.vestibule.event.JsonSigning;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.SigningKey;
import org.vestibule.event.VerifyKey;
import org.vestibule.keys.RemoteServerKeys.Found;
import org.vestibule.keys.RemoteServerKeys.NotFound;
import org.vestibule.keys.RemoteServerKeys.Unreachable;
import org.vestibule.support.FakeFederationServer;
import org.vestibule.support.FakeFederationServer.Reply;
import org.vestibule.support.MutableClock;
import org.vestibule.support.VestibuleIntegrationTest;

/** Fetching, checking, storing and caching other servers' keys, over real HTTPS to fake peers. */
@VestibuleIntegrationTest
class RemoteServerKeysIntegrationTests {

    private static final List<FakeFederationServer> peers = new ArrayList<>();

    @Autowired
    RemoteServerKeys remoteKeys;
    @Autowired
    ServerKeyring keyring;
    @Autowired
    ServerKeyDocument ourDocument;
    @Autowired
    StoredRemoteKeys stored;
    @Autowired
    TransactionTemplate tx;
    @Autowired
    KeyDocumentFetcher fetcher;

    static FakeFederationServer peer() {
        FakeFederationServer peer = FakeFederationServer.start();
        peers.add(peer);
        return peer;
    }

    @AfterAll
    static void stopPeers() {
        peers.forEach(FakeFederationServer::close);
    }

    /** A second RemoteServerKeys on the same database with an empty memory and a clock of our own. */
    RemoteServerKeys fresh(MutableClock clock) {
        return new RemoteServerKeys(keyring, ourDocument, stored, tx, fetcher,
                new KeysProperties(Duration.ofDays(1), Duration.ofDays(7), Duration.ofSeconds(30), List.of()), clock);
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    @Test
    void fetchesChecksStoresAndCachesAServersKeys() {
        FakeFederationServer peer = peer().servingKeys();
        String server = peer.serverName();
        assertThat(remoteKeys.lookup(server, "ed25519:fake", now()))
                .isEqualTo(new Found(peer.signingKey().verifyKey()));
        assertThat(remoteKeys.key(server, "ed25519:fake", now())).contains(peer.signingKey().verifyKey());
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(1);
        assertThat(peer.requests().get(0).header("Authorization")).isNull();

        List<StoredRemoteKey> rows = stored.findByServerName(server);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).expiredTs()).isNull();
        assertThat(rows.get(0).validUntilTs()).isBetween(now() + 86_400_000L - 60_000, now() + 86_400_000L);

        // Another instance (or a restart) finds them in PostgreSQL, without asking the peer.
        RemoteServerKeys restarted = fresh(MutableClock.now());
        assertThat(restarted.key(server, "ed25519:fake", now())).contains(peer.signingKey().verifyKey());
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(1);
    }

    @Test
    void validityIsCappedAtSevenDaysFromTheFetch() {
        FakeFederationServer peer = peer();
        peer.on("/_matrix/key/v2/server", r -> Reply.json(200, peer.keyDocument(now() + Duration.ofDays(30).toMillis(), Map.of())));
        long before = now();
        assertThat(remoteKeys.key(peer.serverName(), "ed25519:fake", now())).isPresent();
        long validUntil = stored.findByServerName(peer.serverName()).get(0).validUntilTs();
        assertThat(validUntil).isBetween(before + Duration.ofDays(7).toMillis(), now() + Duration.ofDays(7).toMillis());
        assertThat(remoteKeys.key(peer.serverName(), "ed25519:fake", now() + Duration.ofDays(8).toMillis())).isEmpty();
    }

    @Test
    void oldKeysVerifyEventsFromBeforeTheyExpiredButNeverRequests() {
        FakeFederationServer peer = peer();
        SigningKey old = SigningKey.generate("ed25519:old");
        long expired = now() - Duration.ofDays(2).toMillis();
        peer.on("/_matrix/key/v2/server", r -> Reply.json(200, peer.keyDocument(now() + 86_400_000L,
                Map.of(old.keyId(), Map.of("key", old.verifyKey().base64(), "expired_ts", expired),
                        "ed25519:broken", Map.of("key", "not base64!", "expired_ts", 1L),
                        "ed25519:noexpiry", Map.of("key", old.verifyKey().base64())))));
        String server = peer.serverName();
        assertThat(remoteKeys.key(server, old.keyId(), now())).isEmpty(); // X-Matrix: keys valid now only
        assertThat(remoteKeys.key(server, old.keyId(), expired - 1)).contains(old.verifyKey());
        assertThat(remoteKeys.keyForEvent(server, old.keyId(), RoomVersions.V10, expired + 1)).isEmpty();
        assertThat(remoteKeys.keyForEvent(server, old.keyId(), RoomVersions.V10, expired - 1))
                .contains(old.verifyKey());
        // Room versions 1-4 ignore validity altogether.
        assertThat(remoteKeys.keyForEvent(server, old.keyId(), RoomVersions.V4, now())).contains(old.verifyKey());
        assertThat(stored.findByServerName(server)).extracting(StoredRemoteKey::keyId)
                .containsExactlyInAnyOrder("ed25519:fake", "ed25519:old");
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(1);
    }

    @Test
    void documentsThatFailTheChecksAreRefused() {
        SigningKey stranger = SigningKey.generate("ed25519:stranger");
        FakeFederationServer wrongName = peer();
        wrongName.on("/_matrix/key/v2/server", r -> Reply.json(200,
                JsonSigning.sign(Map.of("server_name", "elsewhere.test", "valid_until_ts", now() + 86_400_000L,
                        "verify_keys", Map.of("ed25519:fake", Map.of("key", wrongName.signingKey().verifyKey().base64()))),
                        "elsewhere.test", wrongName.signingKey())));
        FakeFederationServer unsigned = peer();
        unsigned.on("/_matrix/key/v2/server", r -> {
            Map<String, Object> doc = new LinkedHashMap<>(unsigned.keyDocument(now() + 86_400_000L, Map.of()));
            doc.remove("signatures");
            return Reply.json(200, doc);
        });
        FakeFederationServer signedByStranger = peer();
        signedByStranger.on("/_matrix/key/v2/server", r -> {
            Map<String, Object> doc = new LinkedHashMap<>(signedByStranger.keyDocument(now() + 86_400_000L, Map.of()));
            doc.remove("signatures");
            return Reply.json(200, JsonSigning.sign(doc, signedByStranger.serverName(), stranger));
        });
        FakeFederationServer tampered = peer();
        tampered.on("/_matrix/key/v2/server", r -> {
            Map<String, Object> doc = new LinkedHashMap<>(tampered.keyDocument(now() + 86_400_000L, Map.of()));
            doc.put("valid_until_ts", now() + 99_000_000L);
            return Reply.json(200, doc);
        });
        FakeFederationServer noKeys = peer();
        noKeys.on("/_matrix/key/v2/server", r -> Reply.json(200, Map.of("server_name", noKeys.serverName(),
                "valid_until_ts", now() + 86_400_000L, "verify_keys", Map.of(), "signatures", Map.of())));
        FakeFederationServer notJson = peer();
        notJson.on("/_matrix/key/v2/server", r -> Reply.raw(200, "application/json", "{\"server_name\": 1.5}"));

        assertUnreachable(wrongName, "server_name elsewhere.test");
        assertUnreachable(unsigned, "not signed by its own key ed25519:fake");
        assertUnreachable(signedByStranger, "not signed by its own key ed25519:fake");
        assertUnreachable(tampered, "not signed by its own key ed25519:fake");
        assertUnreachable(noKeys, "no ed25519 verify_keys");
        assertUnreachable(notJson, "not acceptable JSON");
    }

    private void assertUnreachable(FakeFederationServer peer, String reason) {
        assertThat(remoteKeys.lookup(peer.serverName(), "ed25519:fake", now()))
                .isInstanceOfSatisfying(Unreachable.class, u -> assertThat(u.reason()).contains(reason));
        assertThat(stored.findByServerName(peer.serverName())).isEmpty();
    }

    @Test
    void concurrentLookupsShareOneFetch() throws Exception {
        FakeFederationServer peer = peer();
        peer.on("/_matrix/key/v2/server", r -> {
            Thread.sleep(300);
            return Reply.json(200, peer.keyDocument(now() + 86_400_000L, Map.of()));
        });
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<RemoteServerKeys.KeyLookup>> lookups = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                lookups.add(pool.submit(() -> remoteKeys.lookup(peer.serverName(), "ed25519:fake", now())));
            }
            for (Future<RemoteServerKeys.KeyLookup> lookup : lookups) {
                assertThat(lookup.get()).isInstanceOf(Found.class);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(1);
    }

    @Test
    void failingAndUnhelpfulServersAreAskedAgainOnlyAfterTheInterval() {
        MutableClock clock = MutableClock.now();
        RemoteServerKeys keys = fresh(clock);
        FakeFederationServer failing = peer();
        failing.on("/_matrix/key/v2/server", r -> Reply.json(500, Map.of("errcode", "M_UNKNOWN", "error", "boom")));
        assertThat(keys.lookup(failing.serverName(), "ed25519:fake", now()))
                .isInstanceOfSatisfying(Unreachable.class, u -> assertThat(u.reason()).contains("500").contains("boom"));
        assertThat(keys.lookup(failing.serverName(), "ed25519:fake", now())).isInstanceOf(Unreachable.class);
        assertThat(failing.hits("/_matrix/key/v2/server")).isEqualTo(1);
        clock.advance(Duration.ofSeconds(31));
        keys.lookup(failing.serverName(), "ed25519:fake", now());
        assertThat(failing.hits("/_matrix/key/v2/server")).isEqualTo(2);

        // A server that answers may have a new key since (restarted on a wiped database): a key ID it
        // did not list is asked for again, but made-up IDs cost it at most four fetches per interval.
        FakeFederationServer peer = peer().servingKeys();
        assertThat(keys.lookup(peer.serverName(), "ed25519:madeup", now()))
                .isInstanceOfSatisfying(NotFound.class, n -> assertThat(n.reason()).contains("does not publish"));
        for (int i = 0; i < 10; i++) {
            assertThat(keys.lookup(peer.serverName(), "ed25519:madeup" + i, now())).isInstanceOf(NotFound.class);
        }
        assertThat(keys.lookup(peer.serverName(), "ed25519:fake", now())).isInstanceOf(Found.class);
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(4);
        clock.advance(Duration.ofSeconds(31));
        keys.lookup(peer.serverName(), "ed25519:madeup-later", now());
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(5);
    }

    /**
     * After a wipe, a key of our own name that we lost: the peer that sent the event may vouch for
     * it as a notary, but only with a document self-signed by that key and signed by the peer; and
     * a peer vouches for no other server's keys unless it is a configured notary.
     */
    @Test
    void aLostKeyOfOurNameIsTakenFromThePeerOnlyWithBothSignatures() {
        SigningKey lost = SigningKey.generate("ed25519:lost" + System.nanoTime());
        Map<String, Object> document = JsonSigning.sign(Map.of("server_name", keyring.serverName(),
                "valid_until_ts", now() + 86_400_000L, "old_verify_keys", Map.of(),
                "verify_keys", Map.of(lost.keyId(), Map.of("key", lost.verifyKey().base64()))), keyring.serverName(), lost);
        FakeFederationServer honest = peer().servingKeys();
        honest.on("/_matrix/key/v2/query", r -> Reply.json(200, Map.of("server_keys",
                List.of(JsonSigning.sign(document, honest.serverName(), honest.signingKey())))));
        FakeFederationServer sloppy = peer().servingKeys();
        sloppy.on("/_matrix/key/v2/query", r -> Reply.json(200, Map.of("server_keys", List.of(document))));
        RemoteServerKeys keys = fresh(MutableClock.now());

        assertThat(keys.lookup(keyring.serverName(), lost.keyId(), 0, null)).isInstanceOf(NotFound.class);
        assertThat(keys.lookup(keyring.serverName(), lost.keyId(), 0, sloppy.serverName()))
                .isInstanceOfSatisfying(NotFound.class, n -> assertThat(n.reason()).contains("no notary vouched"));
        assertThat(sloppy.hits("/_matrix/key/v2/query")).isEqualTo(1);
        assertThat(keys.lookup(keyring.serverName(), lost.keyId(), 0, honest.serverName()))
                .isInstanceOfSatisfying(Found.class, f -> assertThat(f.key()).isEqualTo(lost.verifyKey()));

        FakeFederationServer third = peer().servingKeys();
        assertThat(keys.lookup(third.serverName(), "ed25519:unlisted", 0, honest.serverName())).isInstanceOf(NotFound.class);
        assertThat(honest.hits("/_matrix/key/v2/query")).isEqualTo(1);
    }

    /** A server restarted on a wiped database publishes a new key: it is fetched at once, not after the interval. */
    @Test
    void aNewKeyOfAServerThatAnsweredIsFetchedAtOnce() {
        MutableClock clock = MutableClock.now();
        RemoteServerKeys keys = fresh(clock);
        FakeFederationServer peer = peer();
        SigningKey before = SigningKey.generate("ed25519:before");
        SigningKey after = SigningKey.generate("ed25519:after");
        AtomicReference<SigningKey> current = new AtomicReference<>(before);
        peer.on("/_matrix/key/v2/server", r -> Reply.json(200, JsonSigning.sign(Map.of("server_name", peer.serverName(),
                "valid_until_ts", now() + 86_400_000L, "verify_keys", Map.of(current.get().keyId(),
                        Map.of("key", current.get().verifyKey().base64()))), peer.serverName(), current.get())));
        assertThat(keys.key(peer.serverName(), before.keyId(), now())).contains(before.verifyKey());
        current.set(after);
        assertThat(keys.key(peer.serverName(), after.keyId(), now())).contains(after.verifyKey());
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(2);
    }

    @Test
    void expiredKeysAreFetchedAgain() {
        MutableClock clock = MutableClock.now();
        RemoteServerKeys keys = fresh(clock);
        FakeFederationServer peer = peer().servingKeys();
        assertThat(keys.key(peer.serverName(), "ed25519:fake", now())).isPresent();
        clock.advance(Duration.ofDays(2));
        long later = clock.millis();
        // The cached key is valid for a day only: a check at a later time refetches (the fake signs anew each time).
        assertThat(keys.key(peer.serverName(), "ed25519:fake", later)).isEmpty();
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(2);
    }

    @Test
    void ourOwnKeysNeedNoNetwork() {
        VerifyKey ours = keyring.signingKey().verifyKey();
        assertThat(remoteKeys.key(keyring.serverName(), ours.keyId(), now())).contains(ours);
        assertThat(remoteKeys.lookup(keyring.serverName(), "ed25519:other", 0)).isInstanceOf(NotFound.class);
        assertThat(remoteKeys.key(keyring.serverName(), ours.keyId(), now() + Duration.ofDays(30).toMillis())).isEmpty();
    }

    @Test
    void notaryDocumentsKeepTheOriginSignatureAndAddOurs() {
        FakeFederationServer peer = peer().servingKeys();
        List<Map<String, Object>> documents = remoteKeys.notaryDocuments(peer.serverName(), Set.of(), now());
        assertThat(documents).hasSize(1);
        Map<String, Object> document = documents.get(0);
        assertThat(JsonSigning.verify(document, peer.serverName(), peer.signingKey().verifyKey())).isTrue();
        assertThat(JsonSigning.verify(document, keyring.serverName(), keyring.signingKey().verifyKey())).isTrue();
        // Cached now: asking for a known key again needs no fetch; asking far ahead does, once the interval allows.
        remoteKeys.notaryDocuments(peer.serverName(), Set.of("ed25519:fake"), now());
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(1);
        MutableClock clock = MutableClock.now();
        RemoteServerKeys keys = fresh(clock);
        clock.advance(Duration.ofSeconds(31));
        keys.notaryDocuments(peer.serverName(), Set.of(), now() + Duration.ofDays(3).toMillis());
        assertThat(peer.hits("/_matrix/key/v2/server")).isEqualTo(2);

        assertThat(remoteKeys.notaryDocuments("localhost:1", Set.of(), now())).isEmpty();
        assertThat(remoteKeys.notaryDocuments(keyring.serverName(), Set.of(), now()))
                .containsExactly(ourDocument.document());
    }
}
