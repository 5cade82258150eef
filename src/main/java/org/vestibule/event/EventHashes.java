package org.vestibule.event;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Content hashes and reference hashes of events (spec server-server §Signing Events). */
public final class EventHashes {

    private EventHashes() {}

    /** SHA-256 over canonical JSON of the event without unsigned, signatures and hashes. */
    public static byte[] contentHash(Map<String, ?> event) {
        LinkedHashMap<String, Object> stripped = new LinkedHashMap<>(event);
        stripped.remove("unsigned");
        stripped.remove("signatures");
        stripped.remove("hashes");
        return sha256(CanonicalJson.encode(stripped));
    }

    /** Whether the event's {@code hashes.sha256} matches its content hash. */
    public static boolean contentHashMatches(Map<String, ?> event) {
        return Json.string(Json.object(event, "hashes"), "sha256")
                .map(claimed -> {
                    try {
                        return MessageDigest.isEqual(UnpaddedBase64.decode(claimed), contentHash(event));
                    } catch (IllegalArgumentException e) {
                        return false;
                    }
                })
                .orElse(false);
    }

    /** SHA-256 over canonical JSON of the redacted event without signatures and unsigned. */
    public static byte[] referenceHash(Map<String, ?> event, RoomVersion version) {
        Map<String, Object> redacted = Redaction.redact(event, version);
        redacted.remove("signatures");
        redacted.remove("unsigned");
        return sha256(CanonicalJson.encode(redacted));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
