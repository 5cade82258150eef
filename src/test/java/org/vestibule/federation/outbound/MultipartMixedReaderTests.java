package org.vestibule.federation.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The multipart/mixed reader of federation media answers, against the shapes peers send and the ways they break. */
class MultipartMixedReaderTests {

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Hands out one byte per read: every buffer edge gets crossed. */
    static InputStream trickle(byte[] data) {
        return new InputStream() {
            int i;

            @Override
            public int read() {
                return i < data.length ? data[i++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (i >= data.length) {
                    return -1;
                }
                b[off] = data[i++];
                return 1;
            }
        };
    }

    @Test
    void boundariesFromContentTypes() {
        assertThat(MultipartMixedReader.boundary("multipart/mixed; boundary=abc123")).isEqualTo("abc123");
        assertThat(MultipartMixedReader.boundary("Multipart/Mixed;BOUNDARY=\"a b:c\"")).isEqualTo("a b:c");
        assertThat(MultipartMixedReader.boundary("multipart/mixed; charset=x; boundary=zz")).isEqualTo("zz");
        assertThat(MultipartMixedReader.boundary("multipart/form-data; boundary=abc")).isNull();
        assertThat(MultipartMixedReader.boundary("multipart/mixed")).isNull();
        assertThat(MultipartMixedReader.boundary("multipart/mixed; boundary=")).isNull();
        assertThat(MultipartMixedReader.boundary("multipart/mixed; boundary=" + "x".repeat(71))).isNull();
        assertThat(MultipartMixedReader.boundary("multipart/mixed; boundary=a\r\nb")).isNull();
        assertThat(MultipartMixedReader.boundary(null)).isNull();
    }

    @Test
    void synapseShapedAnswer() throws IOException {
        // Synapse starts with a line break, and its media part has type and disposition.
        byte[] media = bytes("line one\r\n--not the boundary\r\n--b0undar\n--b0undaryX is not it either? no: this is");
        byte[] body = concat(bytes("\r\n--b0undary\r\nContent-Type: application/json\r\n\r\n{}\r\n--b0undary\r\n"
                + "Content-Type: text/plain\r\nContent-Disposition: inline; filename=a.txt\r\n\r\n"), media,
                bytes("\r\n--b0undary--\r\n"));
        // "\n--b0undaryX" inside the media is a delimiter by RFC 2046 only when followed by padding and a line end.
        byte[] safeMedia = bytes("line one\r\n--not the boundary\r\n--b0undar and more\r\n-- b0undary");
        byte[] safeBody = concat(bytes("\r\n--b0undary\r\nContent-Type: application/json\r\n\r\n{}\r\n--b0undary\r\n"
                + "Content-Type: text/plain\r\nContent-Disposition: inline; filename=a.txt\r\n\r\n"), safeMedia,
                bytes("\r\n--b0undary--\r\n"));
        for (InputStream in : new InputStream[] {new ByteArrayInputStream(safeBody), trickle(safeBody)}) {
            MultipartMixedReader reader = new MultipartMixedReader(in, "b0undary");
            assertThat(reader.nextPart()).isEqualTo(Map.of("content-type", "application/json"));
            assertThat(reader.readBody(1024)).isEqualTo(bytes("{}"));
            assertThat(reader.nextPart()).containsEntry("content-type", "text/plain")
                    .containsEntry("content-disposition", "inline; filename=a.txt");
            assertThat(reader.body().readAllBytes()).isEqualTo(safeMedia);
            assertThat(reader.nextPart()).isNull();
        }
        // Text after a delimiter that is not padding is refused rather than guessed at.
        MultipartMixedReader strict = new MultipartMixedReader(new ByteArrayInputStream(body), "b0undary");
        strict.nextPart();
        strict.readBody(1024);
        strict.nextPart();
        assertThatThrownBy(() -> strict.body().readAllBytes())
                .isInstanceOf(MultipartMixedReader.MalformedMultipartException.class);
    }

    @Test
    void bareLineFeedsAndPreambleAndLocation() throws IOException {
        byte[] body = bytes("preamble text\n--xyz\ncontent-type: Application/JSON; charset=utf-8\n\n{\"a\":1}\n--xyz\n"
                + "Location: https://cdn.example.org/m\n\n\n--xyz--");
        MultipartMixedReader reader = new MultipartMixedReader(new ByteArrayInputStream(body), "xyz");
        assertThat(reader.nextPart()).containsEntry("content-type", "Application/JSON; charset=utf-8");
        assertThat(reader.readBody(1024)).isEqualTo(bytes("{\"a\":1}"));
        assertThat(reader.nextPart()).isEqualTo(Map.of("location", "https://cdn.example.org/m"));
        assertThat(reader.body().readAllBytes()).isEmpty();
        assertThat(reader.nextPart()).isNull();
    }

    @Test
    void largeBinaryAcrossManyBuffers() throws IOException {
        byte[] media = new byte[300_000];
        new Random(7).nextBytes(media);
        // Plant near-delimiters at every buffer edge region.
        for (int at = 65_530; at < media.length - 20; at += 65_536) {
            System.arraycopy(bytes("\r\n--bound"), 0, media, at, 9);
        }
        byte[] body = concat(bytes("--boundary\r\nContent-Type: application/json\r\n\r\n{}\r\n--boundary\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n"), media, bytes("\r\n--boundary--"));
        MultipartMixedReader reader = new MultipartMixedReader(new ByteArrayInputStream(body), "boundary");
        reader.nextPart();
        reader.readBody(16);
        reader.nextPart();
        assertThat(reader.body().readAllBytes()).isEqualTo(media);
    }

    @Test
    void truncatedAnswersFail() throws IOException {
        byte[] body = bytes("--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\nContent-Type: image/png\r\n\r\n"
                + "half an ima");
        MultipartMixedReader reader = new MultipartMixedReader(new ByteArrayInputStream(body), "b");
        reader.nextPart();
        reader.readBody(16);
        reader.nextPart();
        assertThatThrownBy(() -> reader.body().readAllBytes())
                .isInstanceOf(MultipartMixedReader.MalformedMultipartException.class)
                .hasMessageContaining("ended before the boundary");

        MultipartMixedReader inHeaders = new MultipartMixedReader(new ByteArrayInputStream(bytes("--b\r\nContent-Ty")), "b");
        assertThatThrownBy(inHeaders::nextPart).hasMessageContaining("inside a part's headers");

        MultipartMixedReader empty = new MultipartMixedReader(new ByteArrayInputStream(bytes("--b--\r\n")), "b");
        assertThatThrownBy(empty::nextPart).hasMessageContaining("no parts");
    }

    @Test
    void boundsOnPreambleHeadersAndParts() throws IOException {
        byte[] longPreamble = concat(bytes("x".repeat(MultipartMixedReader.MAX_PREAMBLE + 10)), bytes("\r\n--b\r\n\r\n"));
        assertThatThrownBy(() -> new MultipartMixedReader(new ByteArrayInputStream(longPreamble), "b").nextPart())
                .hasMessageContaining("no boundary within");

        byte[] longHeader = bytes("--b\r\nX-Long: " + "y".repeat(MultipartMixedReader.MAX_HEADER_LINE + 10) + "\r\n\r\n");
        assertThatThrownBy(() -> new MultipartMixedReader(new ByteArrayInputStream(longHeader), "b").nextPart())
                .hasMessageContaining("longer than");

        byte[] manyHeaders = bytes("--b\r\n" + "X-H: 1\r\n".repeat(MultipartMixedReader.MAX_HEADERS + 1) + "\r\n");
        assertThatThrownBy(() -> new MultipartMixedReader(new ByteArrayInputStream(manyHeaders), "b").nextPart())
                .hasMessageContaining("header lines");

        byte[] bigJson = bytes("--b\r\nContent-Type: application/json\r\n\r\n" + "{" + " ".repeat(5000) + "}\r\n--b--");
        MultipartMixedReader reader = new MultipartMixedReader(new ByteArrayInputStream(bigJson), "b");
        reader.nextPart();
        assertThatThrownBy(() -> reader.readBody(1024)).hasMessageContaining("larger than 1024");
    }
}
