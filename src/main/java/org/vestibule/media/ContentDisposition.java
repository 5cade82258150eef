package org.vestibule.media;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code Content-Disposition} (RFC 6266) and {@code Content-Type} as media goes out and comes in.
 * Out: {@code inline} only for the types the spec calls safe to show (client-server §Serving
 * inline content), {@code attachment} for the rest; a file name as a plain token when it is one,
 * else as an ASCII quoted-string fallback plus the exact name in {@code filename*} (RFC 5987,
 * UTF-8, percent-encoded), so no byte of a name can break the header. In: both forms, as peers
 * send them.
 */
final class ContentDisposition {

    /** The spec's list of types that are safe to serve inline. */
    static final Set<String> INLINE_TYPES = Set.of("text/css", "text/plain", "text/csv", "application/json",
            "application/ld+json", "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
            "video/mp4", "video/webm", "video/ogg", "video/quicktime", "audio/mp4", "audio/webm", "audio/aac",
            "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav", "audio/x-wav", "audio/x-pn-wav", "audio/flac",
            "audio/x-flac");

    static final String OCTET_STREAM = "application/octet-stream";
    static final int MAX_CONTENT_TYPE = 255;
    static final int MAX_FILE_NAME = 255;

    private static final String TOKEN_SPECIALS = "!#$&+-.^_`|~";
    private static final String ATTR_CHARS = "!#$&+-.^_`|~";

    private ContentDisposition() {}

    /** {@code inline} or {@code attachment} by the type, with the file name when there is one. */
    static String of(String contentType, String fileName) {
        return header(inline(contentType) ? "inline" : "attachment", fileName);
    }

    static String header(String disposition, String fileName) {
        if (fileName == null || fileName.isEmpty()) {
            return disposition;
        }
        if (isToken(fileName)) {
            return disposition + "; filename=" + fileName;
        }
        StringBuilder fallback = new StringBuilder();
        for (int i = 0; i < fileName.length(); i++) {
            char c = fileName.charAt(i);
            fallback.append(c >= 0x20 && c < 0x7F && c != '"' && c != '\\' ? c : '_');
        }
        return disposition + "; filename=\"" + fallback + "\"; filename*=utf-8''" + percentEncode(fileName);
    }

    /** Whether a type (its parameters aside) may be served inline. */
    static boolean inline(String contentType) {
        return INLINE_TYPES.contains(baseType(contentType));
    }

    /** The type and subtype in lower case, without parameters. */
    static String baseType(String contentType) {
        return contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    }

    /**
     * A Content-Type as we keep and send it: what was given when it is a well-formed
     * {@code type/subtype[; params]} of printable ASCII within {@value #MAX_CONTENT_TYPE} characters,
     * else {@code application/octet-stream} (the spec's answer to a missing or unusable type).
     */
    static String contentType(String given) {
        if (given == null) {
            return OCTET_STREAM;
        }
        String type = given.trim();
        if (type.isEmpty() || type.length() > MAX_CONTENT_TYPE) {
            return OCTET_STREAM;
        }
        for (int i = 0; i < type.length(); i++) {
            char c = type.charAt(i);
            if (c < 0x20 || c >= 0x7F) {
                return OCTET_STREAM;
            }
        }
        String[] typeAndSubtype = type.split(";", 2)[0].trim().split("/", -1);
        if (typeAndSubtype.length != 2 || !isToken(typeAndSubtype[0]) || !isToken(typeAndSubtype[1])) {
            return OCTET_STREAM;
        }
        return type;
    }

    /**
     * The file name of a Content-Disposition a peer sent: {@code filename*} (UTF-8) first, then
     * {@code filename}; null when there is none or it is unusable.
     */
    static String fileName(String header) {
        if (header == null) {
            return null;
        }
        Map<String, String> params = parameters(header);
        String extended = params.get("filename*");
        if (extended != null) {
            int quote = extended.indexOf('\'');
            int second = quote < 0 ? -1 : extended.indexOf('\'', quote + 1);
            if (second > 0 && extended.substring(0, quote).equalsIgnoreCase("utf-8")) {
                String decoded = percentDecode(extended.substring(second + 1));
                if (usable(decoded)) {
                    return decoded;
                }
            }
        }
        String plain = params.get("filename");
        return usable(plain) ? plain : null;
    }

    private static boolean usable(String name) {
        return name != null && !name.isEmpty() && name.length() <= MAX_FILE_NAME && name.indexOf('\0') < 0;
    }

    /** Parameters of a header value, names in lower case; quoted strings unquoted. */
    private static Map<String, String> parameters(String header) {
        Map<String, String> params = new LinkedHashMap<>();
        int i = header.indexOf(';');
        while (i >= 0 && i < header.length()) {
            i++;
            int eq = header.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String name = header.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            int j = eq + 1;
            while (j < header.length() && header.charAt(j) == ' ') {
                j++;
            }
            StringBuilder value = new StringBuilder();
            if (j < header.length() && header.charAt(j) == '"') {
                j++;
                while (j < header.length() && header.charAt(j) != '"') {
                    char c = header.charAt(j);
                    if (c == '\\' && j + 1 < header.length()) {
                        c = header.charAt(++j);
                    }
                    value.append(c);
                    j++;
                }
                int next = header.indexOf(';', j);
                i = next;
            } else {
                int next = header.indexOf(';', j);
                value.append(header, j, next < 0 ? header.length() : next);
                i = next;
            }
            params.putIfAbsent(name, value.toString().trim());
        }
        return params;
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || TOKEN_SPECIALS.indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    private static String percentEncode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || ATTR_CHARS.indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
            }
        }
        return out.toString();
    }

    /** Strict: a bad escape or bytes that are not UTF-8 give null. */
    private static String percentDecode(String s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                return null;
            }
        }
        try {
            CharBuffer decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray()));
            return decoded.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
