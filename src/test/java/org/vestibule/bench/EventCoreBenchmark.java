package org.vestibule.bench;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.vestibule.event.CanonicalJson;
import org.vestibule.event.EventHashes;
import org.vestibule.event.EventIds;
import org.vestibule.event.EventSigning;
import org.vestibule.event.Json;
import org.vestibule.event.Pdu;
import org.vestibule.event.RoomVersion;
import org.vestibule.event.RoomVersions;
import org.vestibule.event.SigningKey;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.event.UnpaddedBase64;
import org.vestibule.event.VerifyKey;

/**
 * Throughput of the event core on one thread, for a typical {@code m.room.member} join in a
 * room version 10 room. Run with {@code bench/jmh.sh}; every JMH option on the command line
 * (-f, -wi, -w, -i, -r, -t, a name regex) overrides the annotations here.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class EventCoreBenchmark {

    static final RoomVersion VERSION = RoomVersions.V10;
    static final String SERVER = "matrix.example.org";
    static final String USER = "@alice.wonderland:matrix.example.org";

    /** The spec's test-vector seed, so runs are reproducible. */
    static final SigningKey KEY = SigningKey.fromSeed("ed25519:a_Xk3p",
            UnpaddedBase64.decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"));
    static final VerifyKey VERIFY_KEY = KEY.verifyKey();

    /** The join as its sender builds it, before hashes and signatures. */
    Map<String, Object> unsignedEvent;
    /** The same join, hashed and signed, as a checked PDU (its {@code json()} is what peers exchange). */
    Pdu pdu;
    /** The PDU's bytes as received over federation (canonical JSON, with an {@code unsigned} block). */
    byte[] wireBytes;
    /** A 600-byte message and its ed25519 signature, for the raw crypto baseline. */
    byte[] message600;
    byte[] signature600;

    @Setup(Level.Trial)
    public void setUp() {
        unsignedEvent = joinEvent();
        Map<String, Object> signed = EventSigning.hashAndSign(unsignedEvent, VERSION, SERVER, KEY);
        Map<String, Object> received = Json.mutableCopy(signed);
        received.put("unsigned", Json.objectOf("age", 1_234L));
        wireBytes = CanonicalJson.encode(received);
        pdu = Pdu.parse(wireBytes, VERSION);

        message600 = new byte[600];
        new Random(42).nextBytes(message600);
        signature600 = KEY.sign(message600);

        // A benchmark of a failing path would measure nothing useful: check the fixtures first.
        int size = pdu.canonicalBytes().length;
        require(size >= 600 && size <= 900, "the signed event should be 600-900 bytes, is " + size);
        require(EventSigning.verify(pdu, SERVER, VERIFY_KEY), "the event signature does not verify");
        require(pdu.contentHashMatches(), "the content hash does not match");
        require(VERIFY_KEY.verify(message600, signature600), "the raw signature does not verify");
        require(pdu.eventId().equals(EventIds.compute(signed, VERSION)), "event IDs differ");
    }

    /** Canonical JSON of the whole signed event (what we store and what IDs and hashes start from). */
    @Benchmark
    public byte[] canonicalEncode() {
        return CanonicalJson.encode(pdu.json());
    }

    /** SHA-256 content hash: copy without unsigned/signatures/hashes, canonical JSON, digest. */
    @Benchmark
    public byte[] contentHash() {
        return EventHashes.contentHash(pdu.json());
    }

    /** What a server does for each event it creates: deep copy, content hash, redact, encode, ed25519 sign. */
    @Benchmark
    public Map<String, Object> hashAndSign() {
        return EventSigning.hashAndSign(unsignedEvent, VERSION, SERVER, KEY);
    }

    /** Checking one server's signature on a received PDU: redact, canonical JSON, base64 decode, ed25519 verify. */
    @Benchmark
    public boolean verifyEventSignature() {
        return EventSigning.verify(pdu, SERVER, VERIFY_KEY);
    }

    /** Raw ed25519 verification of a 600-byte message with a pre-decoded key: the crypto floor. */
    @Benchmark
    public boolean ed25519Verify600() {
        return VERIFY_KEY.verify(message600, signature600);
    }

    /** Raw ed25519 signing of a 600-byte message, to separate crypto from JSON in hashAndSign. */
    @Benchmark
    public byte[] ed25519Sign600() {
        return KEY.sign(message600);
    }

    /** Room version 4+ event ID: redact, canonical JSON, SHA-256, URL-safe base64. */
    @Benchmark
    public String eventId() {
        return EventIds.compute(pdu.json(), VERSION);
    }

    /** Strict JSON parse of the received bytes alone. */
    @Benchmark
    public Map<String, Object> strictParse() {
        return StrictJsonParser.parseObject(wireBytes, StrictJsonParser.Limits.PDU);
    }

    /**
     * {@code Pdu.parse}: strict parse, then {@code Pdu.fromJson} (copy, format checks, frozen deep copy,
     * event ID, canonical encoding for the size limit).
     */
    @Benchmark
    public Pdu parsePdu() {
        return Pdu.parse(wireBytes, VERSION);
    }

    /**
     * A first join to a public room as Synapse or we would send it: a displayname and avatar, three
     * auth events (create, power levels, join rules) and one prev event.
     */
    static Map<String, Object> joinEvent() {
        List<String> auth = List.of(eventId("create"), eventId("power_levels"), eventId("join_rules"));
        List<String> prev = List.of(eventId("message-1"));
        return Json.objectOf(
                "auth_events", new ArrayList<>(auth),
                "content", Json.objectOf(
                        "avatar_url", "mxc://matrix.example.org/GCmhgzMPRjqgpODLsNQzVuHZ",
                        "displayname", "Alice Wonderland (she/her) \u2014 \u00e9quipe infra",
                        "membership", "join"),
                "depth", 1_337L,
                "origin_server_ts", 1_795_725_584_919L,
                "prev_events", new ArrayList<>(prev),
                "room_id", "!OGEhHVWSdvArJzumhm:matrix.example.org",
                "sender", USER,
                "state_key", USER,
                "type", "m.room.member");
    }

    /** A deterministic room version 4+ style event ID ('$' + 43 URL-safe base64 characters). */
    static String eventId(String seed) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
            return "$" + UnpaddedBase64.encodeUrlSafe(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
