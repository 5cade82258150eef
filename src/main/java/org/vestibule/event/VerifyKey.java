package org.vestibule.event;

import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An ed25519 public key as published in a server's key document. */
public final class VerifyKey {

    private final String keyId;
    private final byte[] publicKey;
    // BouncyCastle keeps the decoded curve point here, so reusing it saves work per verification.
    private final Ed25519PublicKeyParameters parameters;

    public VerifyKey(String keyId, byte[] publicKey) {
        this.keyId = KeyIds.requireEd25519(keyId);
        if (publicKey.length != 32) {
            throw new IllegalArgumentException("an ed25519 public key is 32 bytes, not " + publicKey.length);
        }
        this.publicKey = publicKey.clone();
        this.parameters = new Ed25519PublicKeyParameters(this.publicKey, 0);
    }

    /** A key from its unpadded base64 form. */
    public static VerifyKey fromBase64(String keyId, String base64) {
        return new VerifyKey(keyId, UnpaddedBase64.decode(base64));
    }

    public String keyId() {
        return keyId;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public String base64() {
        return UnpaddedBase64.encode(publicKey);
    }

    public boolean verify(byte[] message, byte[] signature) {
        if (signature.length != 64) {
            return false;
        }
        return parameters.verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifyKey other && keyId.equals(other.keyId) && Arrays.equals(publicKey, other.publicKey);
    }

    @Override
    public int hashCode() {
        return keyId.hashCode() * 31 + Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "VerifyKey[" + keyId + ", " + base64() + "]";
    }
}
