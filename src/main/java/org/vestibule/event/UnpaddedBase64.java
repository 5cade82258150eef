package org.vestibule.event;

import java.util.Base64;

/** Matrix's unpadded base64 (spec appendices §Unpadded Base64), standard and URL-safe. */
public final class UnpaddedBase64 {

    private static final Base64.Encoder STANDARD = Base64.getEncoder().withoutPadding();
    private static final Base64.Encoder URL_SAFE = Base64.getUrlEncoder().withoutPadding();

    private UnpaddedBase64() {}

    public static String encode(byte[] bytes) {
        return STANDARD.encodeToString(bytes);
    }

    public static String encodeUrlSafe(byte[] bytes) {
        return URL_SAFE.encodeToString(bytes);
    }

    /** Decodes standard base64, with or without padding; throws IllegalArgumentException if invalid. */
    public static byte[] decode(String text) {
        return Base64.getDecoder().decode(text);
    }

    /** Decodes URL-safe base64, with or without padding; throws IllegalArgumentException if invalid. */
    public static byte[] decodeUrlSafe(String text) {
        return Base64.getUrlDecoder().decode(text);
    }
}
