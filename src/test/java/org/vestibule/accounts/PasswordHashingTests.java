package org.vestibule.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;

/** Our PBKDF2 gives the JDK's bytes, so every stored hash still verifies. */
class PasswordHashingTests {

    private static byte[] jdk(String password, byte[] salt, int iterations) throws GeneralSecurityException {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
    }

    @Test
    void matchesTheJdkForShortLongAndNonAsciiPasswords() throws GeneralSecurityException {
        byte[] salt = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
        for (String password : new String[] {"p", "correct horse battery staple", "pässwörd ✓ 密码", "x".repeat(64),
                "y".repeat(65), "z".repeat(200)}) {
            for (int iterations : new int[] {1, 2, 1000}) {
                assertThat(PasswordHashing.pbkdf2(password, salt, iterations))
                        .as("%s, %d iterations", password, iterations)
                        .isEqualTo(jdk(password, salt, iterations));
            }
        }
    }

    @Test
    void rfc7914TestVector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA-256 (P="passwd", S="salt", c=1, dkLen=64); our key is its first 32 bytes.
        assertThat(HexFormat.of().formatHex(PasswordHashing.pbkdf2("passwd", "salt".getBytes(), 1)))
                .isEqualTo("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
    }

    @Test
    void aHashVerifiesAndAnotherPasswordDoesNot() {
        String stored = PasswordHashing.hash("secret", 1000);
        assertThat(stored).startsWith("pbkdf2-sha256$1000$");
        assertThat(PasswordHashing.matches("secret", stored)).isTrue();
        assertThat(PasswordHashing.matches("Secret", stored)).isFalse();
    }
}
