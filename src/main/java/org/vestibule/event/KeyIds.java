package org.vestibule.event;

import java.util.regex.Pattern;

/** Key identifiers: {@code <algorithm>:<version>}, the version of {@code [a-zA-Z0-9_]} (spec keys.yaml). */
public final class KeyIds {

    private static final Pattern ED25519 = Pattern.compile("ed25519:[a-zA-Z0-9_]{1,255}");

    private KeyIds() {}

    public static boolean isEd25519(String keyId) {
        return keyId != null && ED25519.matcher(keyId).matches();
    }

    static String requireEd25519(String keyId) {
        if (!isEd25519(keyId)) {
            throw new IllegalArgumentException("not an ed25519 key ID: " + keyId);
        }
        return keyId;
    }
}
