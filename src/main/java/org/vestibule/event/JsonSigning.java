package org.vestibule.event;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Signing JSON objects (spec appendices §Signing JSON and §Checking for a signature). */
public final class JsonSigning {

    private JsonSigning() {}

    /** The bytes a signature covers: canonical JSON without {@code signatures} and {@code unsigned}. */
    public static byte[] signedBytes(Map<String, ?> object) {
        if (!object.containsKey("signatures") && !object.containsKey("unsigned")) {
            return CanonicalJson.encode(object);
        }
        LinkedHashMap<String, Object> stripped = new LinkedHashMap<>(object);
        stripped.remove("signatures");
        stripped.remove("unsigned");
        return CanonicalJson.encode(stripped);
    }

    /** The unpadded base64 signature of an object by a key. */
    public static String signature(Map<String, ?> object, SigningKey key) {
        return UnpaddedBase64.encode(key.sign(signedBytes(object)));
    }

    /** A deep copy of the object with {@code signatures[entity][keyId]} added; other signatures kept. */
    public static Map<String, Object> sign(Map<String, ?> object, String entity, SigningKey key) {
        String sig = signature(object, key);
        Map<String, Object> signed = Json.mutableCopy(object);
        addSignature(signed, entity, key.keyId(), sig);
        return signed;
    }

    /** Puts a signature into a mutable object's {@code signatures}. */
    @SuppressWarnings("unchecked")
    public static void addSignature(Map<String, Object> mutable, String entity, String keyId, String signature) {
        Object existing = mutable.get("signatures");
        Map<String, Object> signatures = existing instanceof Map<?, ?> m
                ? Json.mutableCopy((Map<String, Object>) m) : new LinkedHashMap<>();
        Object forEntity = signatures.get(entity);
        Map<String, Object> entitySigs = forEntity instanceof Map<?, ?> m
                ? (Map<String, Object>) m : new LinkedHashMap<>();
        entitySigs.put(keyId, signature);
        signatures.put(entity, entitySigs);
        mutable.put("signatures", signatures);
    }

    /** The base64 signature by an entity with a key ID, if the object carries one. */
    public static Optional<String> signatureOf(Map<String, ?> object, String entity, String keyId) {
        return Json.string(Json.object(Json.object(object, "signatures"), entity), keyId);
    }

    /** Whether the object carries a valid signature by the entity with this key. */
    public static boolean verify(Map<String, ?> object, String entity, VerifyKey key) {
        return signatureOf(object, entity, key.keyId())
                .map(sig -> verifySignature(signedBytes(object), sig, key))
                .orElse(false);
    }

    /** Checks one base64 signature over bytes; malformed base64 counts as invalid. */
    public static boolean verifySignature(byte[] signedBytes, String base64Signature, VerifyKey key) {
        byte[] sig;
        try {
            sig = UnpaddedBase64.decode(base64Signature);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return key.verify(signedBytes, sig);
    }
}
