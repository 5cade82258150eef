package org.vestibule.federation.outbound;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a {@code multipart/mixed} body (RFC 2046 §5.1) part by part from a stream, as the
 * federation media endpoints answer (spec server-server §Content Repository: a JSON part, then
 * the media or a {@code Location}). Everything is bounded: the preamble, each header line and the
 * number of headers; a part's body is a stream that ends at the next delimiter and fails if the
 * body ends first, so a truncated answer is never taken for a whole one. Bare LF line ends are
 * accepted as well as CRLF.
 */
final class MultipartMixedReader {

    static final int MAX_PREAMBLE = 16 * 1024;
    static final int MAX_HEADER_LINE = 8 * 1024;
    static final int MAX_HEADERS = 32;

    /** The answer is not multipart/mixed as it should be. */
    static final class MalformedMultipartException extends IOException {
        MalformedMultipartException(String message) {
            super(message);
        }
    }

    private final InputStream in;
    /** {@code \n--boundary}: a delimiter is CRLF (or LF) then two dashes and the boundary. */
    private final byte[] delimiter;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int limit;
    private boolean eof;
    private boolean closed;
    private PartBody current;

    MultipartMixedReader(InputStream in, String boundary) {
        this.in = in;
        this.delimiter = ("\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The boundary parameter of a Content-Type, or null when the type is not multipart/mixed or
     * the boundary is missing or not one RFC 2046 allows (1–70 characters of its set).
     */
    static String boundary(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";", -1);
        if (!parts[0].trim().equalsIgnoreCase("multipart/mixed")) {
            return null;
        }
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("boundary")) {
                String value = p.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return validBoundary(value) ? value : null;
            }
        }
        return null;
    }

    private static boolean validBoundary(String b) {
        if (b.isEmpty() || b.length() > 70 || b.endsWith(" ")) {
            return false;
        }
        for (int i = 0; i < b.length(); i++) {
            char c = b.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "'()+_,-./:=? ".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Moves to the next part and reads its headers (names in lower case, first value kept).
     * Returns null when the closing delimiter came instead. The body of the part before must have
     * been read to its end, or is skipped here.
     */
    Map<String, String> nextPart() throws IOException {
        if (current == null) {
            skipPreamble();
        } else if (!current.done) {
            current.transferTo(OutputStream.nullOutputStream());
        }
        if (closed) {
            return null;
        }
        Map<String, String> headers = readHeaders();
        current = new PartBody();
        return headers;
    }

    /** The body of the current part: ends (-1) at the delimiter after it. */
    InputStream body() {
        if (current == null) {
            throw new IllegalStateException("no part yet");
        }
        return current;
    }

    /** Reads the current part's body whole, refusing more than {@code maxBytes}. */
    byte[] readBody(int maxBytes) throws IOException {
        byte[] out = new byte[Math.min(maxBytes + 1, 1024)];
        int size = 0;
        int n;
        InputStream body = body();
        while ((n = body.read(out, size, out.length - size)) >= 0) {
            size += n;
            if (size > maxBytes) {
                throw new MalformedMultipartException("a part is larger than " + maxBytes + " bytes");
            }
            if (size == out.length) {
                out = Arrays.copyOf(out, Math.min(out.length * 2, maxBytes + 1));
            }
        }
        return Arrays.copyOf(out, size);
    }

    private void skipPreamble() throws IOException {
        // The first delimiter may open the body with no line break before it.
        ensure(delimiter.length - 1);
        if (startsWithAt(pos, delimiter, 1)) {
            pos += delimiter.length - 1;
            afterDelimiter();
        } else {
            PartBody preamble = new PartBody();
            long skipped = 0;
            byte[] scratch = new byte[4096];
            int n;
            while ((n = preamble.read(scratch, 0, scratch.length)) >= 0) {
                skipped += n;
                if (skipped > MAX_PREAMBLE) {
                    throw new MalformedMultipartException("no boundary within the first " + MAX_PREAMBLE + " bytes");
                }
            }
        }
        if (closed) {
            throw new MalformedMultipartException("the multipart body has no parts");
        }
    }

    /** After {@code --boundary}: {@code --} closes the body; else optional padding, then the line end. */
    private void afterDelimiter() throws IOException {
        ensure(2);
        if (limit - pos >= 2 && buf[pos] == '-' && buf[pos + 1] == '-') {
            pos += 2;
            closed = true;
            return;
        }
        String rest = readLine();
        if (!rest.isBlank()) {
            throw new MalformedMultipartException("unexpected text after a boundary");
        }
    }

    private Map<String, String> readHeaders() throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        String last = null;
        int count = 0;
        while (true) {
            String line = readLine();
            if (line.isEmpty()) {
                return headers;
            }
            if (++count > MAX_HEADERS) {
                throw new MalformedMultipartException("a part has more than " + MAX_HEADERS + " header lines");
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && last != null) {
                headers.put(last, headers.get(last) + " " + line.trim()); // obsolete folding
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MalformedMultipartException("a part header is not 'Name: value'");
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            headers.putIfAbsent(name, line.substring(colon + 1).trim());
            last = name;
        }
    }

    /** One line without its CRLF or LF; fails beyond {@link #MAX_HEADER_LINE} or at the end of the body. */
    private String readLine() throws IOException {
        int start = pos;
        while (true) {
            for (int i = start; i < limit; i++) {
                if (buf[i] == '\n') {
                    int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                    if (end - pos > MAX_HEADER_LINE) {
                        throw new MalformedMultipartException("a part header line is longer than " + MAX_HEADER_LINE
                                + " bytes");
                    }
                    String line = new String(buf, pos, end - pos, StandardCharsets.UTF_8);
                    pos = i + 1;
                    return line;
                }
            }
            if (limit - pos > MAX_HEADER_LINE) {
                throw new MalformedMultipartException("a part header line is longer than " + MAX_HEADER_LINE + " bytes");
            }
            if (eof) {
                throw new MalformedMultipartException("the multipart body ended inside a part's headers");
            }
            start = limit;
            fill();
        }
    }

    /** At least {@code n} bytes buffered, unless the stream ends first. */
    private void ensure(int n) throws IOException {
        while (limit - pos < n && !eof) {
            fill();
        }
    }

    private void fill() throws IOException {
        if (limit == buf.length) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        int n = in.read(buf, limit, buf.length - limit);
        if (n < 0) {
            eof = true;
        } else {
            limit += n;
        }
    }

    private boolean startsWithAt(int at, byte[] pattern, int from) {
        if (limit - at < pattern.length - from) {
            return false;
        }
        for (int i = from; i < pattern.length; i++) {
            if (buf[at + i - from] != pattern[i]) {
                return false;
            }
        }
        return true;
    }

    private int indexOfDelimiter() {
        for (int i = pos; i + delimiter.length <= limit; i++) {
            if (buf[i] == '\n' && startsWithAt(i, delimiter, 0)) {
                return i;
            }
        }
        return -1;
    }

    /** A part's body: the bytes up to the CRLF (or LF) that starts the next delimiter. */
    private final class PartBody extends InputStream {

        private boolean done;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            while (true) {
                int match = indexOfDelimiter();
                if (match >= 0) {
                    int end = match > pos && buf[match - 1] == '\r' ? match - 1 : match;
                    if (end > pos) {
                        return copy(b, off, Math.min(len, end - pos));
                    }
                    pos = match + delimiter.length;
                    done = true;
                    afterDelimiter();
                    return -1;
                }
                // Bytes that cannot be the CR or the start of a delimiter still incomplete in the buffer.
                int safe = limit - delimiter.length - 1;
                if (safe > pos) {
                    return copy(b, off, Math.min(len, safe - pos));
                }
                if (eof) {
                    throw new MalformedMultipartException("the multipart body ended before the boundary closing a part");
                }
                fill();
            }
        }

        private int copy(byte[] b, int off, int n) {
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
