package org.vestibule.accounts;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/** PBKDF2-HMAC-SHA256 password hashes, stored as {@code pbkdf2-sha256$<iterations>$<salt>$<hash>}. */
final class PasswordHashing {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BLOCK = 64; // SHA-256's block, HMAC's key length
    private static final int LENGTH = 32; // SHA-256's output, and the derived key's length

    private PasswordHashing() {}

    static String hash(String password, int iterations) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        byte[] hash = pbkdf2(password, salt, iterations);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return "pbkdf2-sha256$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }

    static boolean matches(String password, String stored) {
        if (stored == null) {
            return false;
        }
        String[] parts = stored.split("\\$");
        if (parts.length != 4 || !parts[0].equals("pbkdf2-sha256")) {
            return false;
        }
        int iterations = Integer.parseInt(parts[1]);
        byte[] salt = Base64.getDecoder().decode(parts[2]);
        byte[] expected = Base64.getDecoder().decode(parts[3]);
        return MessageDigest.isEqual(expected, pbkdf2(password, salt, iterations));
    }

    /**
     * PBKDF2-HMAC-SHA256 with a 32-byte key (RFC 8018 §5.2), the same bytes as the JDK's
     * PBKDF2WithHmacSHA256. HMAC's keyed pads are hashed once and their digest state copied for each
     * of the 2 × iterations hashes, where the JDK's HMAC hashes them again every time: half the
     * SHA-256 work, which is most of a registration or a login.
     */
    static byte[] pbkdf2(String password, byte[] salt, int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("PBKDF2 needs at least one iteration, not " + iterations);
        }
        byte[] key = password.getBytes(StandardCharsets.UTF_8);
        if (key.length > BLOCK) {
            key = sha256().digest(key);
        }
        MessageDigest inner = sha256();
        inner.update(padded(key, 0x36));
        MessageDigest outer = sha256();
        outer.update(padded(key, 0x5c));
        try {
            byte[] u = new byte[LENGTH];
            byte[] first = Arrays.copyOf(salt, salt.length + 4);
            first[salt.length + 3] = 1; // INT(1): the 32-byte key is one block
            hmac(inner, outer, u, first);
            byte[] result = u.clone();
            for (int n = 1; n < iterations; n++) {
                hmac(inner, outer, u, u);
                for (int i = 0; i < LENGTH; i++) {
                    result[i] ^= u[i];
                }
            }
            return result;
        } catch (CloneNotSupportedException | DigestException e) {
            throw new IllegalStateException("the JDK's SHA-256 can be copied and written in place", e);
        }
    }

    /** The key, zero-filled to a block, XORed with HMAC's pad byte. */
    private static byte[] padded(byte[] key, int pad) {
        byte[] block = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            block[i] = (byte) ((i < key.length ? key[i] : 0) ^ pad);
        }
        return block;
    }

    /** HMAC of the message into {@code out} (which may be the message), from copies of the digests that hashed the pads. */
    private static void hmac(MessageDigest inner, MessageDigest outer, byte[] out, byte[] message)
            throws CloneNotSupportedException, DigestException {
        MessageDigest in = (MessageDigest) inner.clone();
        in.update(message);
        in.digest(out, 0, LENGTH);
        MessageDigest o = (MessageDigest) outer.clone();
        o.update(out);
        o.digest(out, 0, LENGTH);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }

    static byte[] sha256(String token) {
        return sha256().digest(token.getBytes(StandardCharsets.UTF_8));
    }
}
