package org.vestibule.media;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.UUID;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MimeTypeUtils;

/**
 * How media goes out over HTTP. To clients: the stored type when it parses, else
 * {@code application/octet-stream}; {@code Content-Disposition} by {@link ContentDisposition};
 * {@code X-Content-Type-Options: nosniff} so browsers never guess a type; the spec's recommended
 * {@code Content-Security-Policy} with Synapse's {@code media-src 'self'} (client-server §Content
 * repository), {@code Cross-Origin-Resource-Policy: cross-origin} (v1.4) and no referrer. To other
 * servers: multipart/mixed, a JSON part {@code {}} then the media part (server-server §Content
 * Repository, MSC3916), in exactly the shape Synapse's parser expects (the JSON part's one header
 * is {@code Content-Type: application/json}, the boundary is the Content-Type's last parameter).
 */
final class MediaResponses {

    static final String CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; script-src 'none'; "
            + "plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";
    /** Media never changes under its URI: a day in caches. Authenticated answers only in the user's own. */
    private static final String CACHE_AUTHENTICATED = "private, max-age=86400";
    private static final String CACHE_PUBLIC = "public, max-age=86400";

    private MediaResponses() {}

    /** A download: inline or attachment by type. */
    static ResponseEntity<Resource> download(MediaContent content, boolean authenticated) {
        String type = safeType(content.contentType());
        // Spring sets Content-Length, and answers Range requests (206) from the file.
        return ResponseEntity.ok().headers(headers(type, ContentDisposition.of(type, content.fileName()), authenticated))
                .body(new FileSystemResource(content.file()));
    }

    /** A thumbnail: always inline (spec v1.12), its types being images. */
    static ResponseEntity<Resource> thumbnail(MediaContent content, boolean authenticated) {
        String type = safeType(content.contentType());
        String disposition = ContentDisposition.header(ContentDisposition.inline(type) ? "inline" : "attachment",
                content.fileName());
        return ResponseEntity.ok().headers(headers(type, disposition, authenticated))
                .body(new FileSystemResource(content.file()));
    }

    /** The federation answer, written straight to the response: no range requests, no async dispatch. */
    static void multipart(MediaContent content, HttpServletResponse response) throws IOException {
        String boundary = UUID.randomUUID().toString().replace("-", "");
        String type = safeType(content.contentType());
        byte[] head = ("--" + boundary + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--" + boundary
                + "\r\nContent-Type: " + type + "\r\nContent-Disposition: " + ContentDisposition.of(type, content.fileName())
                + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        response.setStatus(200);
        response.setContentType("multipart/mixed; boundary=" + boundary);
        response.setContentLengthLong(head.length + content.size() + tail.length);
        response.setHeader("Cache-Control", CACHE_PUBLIC);
        OutputStream out = response.getOutputStream();
        out.write(head);
        try (InputStream in = Files.newInputStream(content.file())) {
            in.transferTo(out);
        }
        out.write(tail);
        out.flush();
    }

    private static HttpHeaders headers(String type, String disposition, boolean authenticated) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.parseMediaType(type));
        headers.set(HttpHeaders.CONTENT_DISPOSITION, disposition);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.set("X-Content-Security-Policy", "sandbox;");
        headers.set("Cross-Origin-Resource-Policy", "cross-origin");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("X-Robots-Tag", "noindex, nofollow, noarchive, noimageindex");
        headers.setCacheControl(authenticated ? CACHE_AUTHENTICATED : CACHE_PUBLIC);
        return headers;
    }

    /** A type Spring and browsers parse as we do; anything else goes out as bytes. */
    static String safeType(String type) {
        String checked = ContentDisposition.contentType(type);
        try {
            MimeTypeUtils.parseMimeType(checked);
            MediaType.parseMediaType(checked);
            return checked;
        } catch (IllegalArgumentException e) {
            return ContentDisposition.OCTET_STREAM;
        }
    }
}
