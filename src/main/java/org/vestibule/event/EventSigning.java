package org.vestibule.event;

import java.util.LinkedHashMap;
import java.util.Map;

/** Hashing and signing events, and checking their signatures (spec server-server §Signing Events). */
public final class EventSigning {

    private EventSigning() {}

    /**
     * Sets the content hash of an unsigned event, then signs its redacted form as {@code server}
     * and returns the complete event JSON.
     */
    public static Map<String, Object> hashAndSign(Map<String, ?> event, RoomVersion version, String server,
                                                  SigningKey key) {
        Map<String, Object> full = Json.mutableCopy(event);
        full.remove("unsigned");
        full.remove("signatures");
        full.put("hashes", Map.of("sha256", UnpaddedBase64.encode(EventHashes.contentHash(full))));
        String signature = signatureOf(full, version, key);
        JsonSigning.addSignature(full, server, key.keyId(), signature);
        return full;
    }

    /** The signature of an event's redacted form by a key. */
    public static String signatureOf(Map<String, ?> event, RoomVersion version, SigningKey key) {
        Map<String, Object> redacted = Redaction.redact(event, version);
        return JsonSigning.signature(redacted, key);
    }

    /** Adds our signature to an already hashed event, keeping everyone else's. */
    public static Pdu addSignature(Pdu pdu, String server, SigningKey key) {
        return pdu.withSignature(server, key.keyId(), signatureOf(pdu.json(), pdu.roomVersion(), key));
    }

    /** The bytes an event signature covers: canonical JSON of the redacted event minus signatures and unsigned. */
    public static byte[] signedBytes(Pdu pdu) {
        Map<String, Object> redacted = new LinkedHashMap<>(Redaction.redact(pdu.json(), pdu.roomVersion()));
        return JsonSigning.signedBytes(redacted);
    }

    /** Whether {@code server} signed the event with {@code key}. */
    public static boolean verify(Pdu pdu, String server, VerifyKey key) {
        return JsonSigning.signatureOf(pdu.json(), server, key.keyId())
                .map(sig -> JsonSigning.verifySignature(signedBytes(pdu), sig, key))
                .orElse(false);
    }

}
