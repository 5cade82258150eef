package org.vestibule.event;

import java.security.SecureRandom;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An ed25519 signing key of a server, named {@code ed25519:<version>}. The seed never appears in
 * {@link #toString()}, so the key can't leak through logs.
 */
public final class SigningKey {

    private final String keyId;
    private final Ed25519PrivateKeyParameters privateKey;
    private final VerifyKey verifyKey;

    private SigningKey(String keyId, Ed25519PrivateKeyParameters privateKey) {
        this.keyId = keyId;
        this.privateKey = privateKey;
        this.verifyKey = new VerifyKey(keyId, privateKey.generatePublicKey().getEncoded());
    }

    /** A key from its 32-byte RFC 8032 seed. */
    public static SigningKey fromSeed(String keyId, byte[] seed) {
        KeyIds.requireEd25519(keyId);
        if (seed.length != 32) {
            throw new IllegalArgumentException("an ed25519 seed is 32 bytes, not " + seed.length);
        }
        return new SigningKey(keyId, new Ed25519PrivateKeyParameters(seed, 0));
    }

    /** A fresh random key. */
    public static SigningKey generate(String keyId) {
        return new SigningKey(KeyIds.requireEd25519(keyId),
                new Ed25519PrivateKeyParameters(new SecureRandom()));
    }

    public String keyId() {
        return keyId;
    }

    /** The 32-byte seed, for storage only. */
    public byte[] seed() {
        return privateKey.getEncoded();
    }

    public VerifyKey verifyKey() {
        return verifyKey;
    }

    public byte[] sign(byte[] message) {
        byte[] signature = new byte[Ed25519PrivateKeyParameters.SIGNATURE_SIZE];
        privateKey.sign(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
        return signature;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigningKey other && keyId.equals(other.keyId) && verifyKey.equals(other.verifyKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyId, verifyKey);
    }

    @Override
    public String toString() {
        return "SigningKey[" + keyId + ", public " + verifyKey.base64() + "]";
    }
}
