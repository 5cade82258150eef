package org.vestibule.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vestibule.support.TestNames.unique;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vestibule.event.StrictJsonParser;
import org.vestibule.support.MatrixClient;
import org.vestibule.support.MatrixClient.User;
import org.vestibule.support.TestCertificates;
import org.vestibule.support.TestHomeservers;

/**
 * Requests Tomcat refuses before Spring sees them (a path or header it cannot parse, a header
 * over the size limit, plain HTTP on the HTTPS port) get a Matrix error body, not Tomcat's HTML
 * page, on the plain port and on the HTTPS federation port. Sent over raw sockets: HTTP clients
 * refuse to send most of them.
 */
class RejectedRequestsIntegrationTests {

    /** A response as it came off the wire. */
    record Raw(int status, String head, String body) {

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        /** The body as a Matrix error: JSON, an errcode and a message. */
        Map<String, Object> matrixError() {
            assertThat(header("Content-Type")).as(head).startsWith("application/json");
            Map<String, Object> error = StrictJsonParser.parseObject(body.getBytes(StandardCharsets.UTF_8),
                    StrictJsonParser.Limits.REQUEST);
            assertThat(error.get("errcode")).asString().startsWith("M_");
            assertThat(error.get("error")).asString().isNotBlank();
            return error;
        }
    }

    static TestHomeservers servers;

    @BeforeAll
    static void start() {
        servers = TestHomeservers.start(1);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    static Raw plain(String request) throws IOException {
        return exchange(new Socket("127.0.0.1", servers.get(0).httpPort()), request);
    }

    static Raw tls(String request) throws IOException {
        SSLSocket socket = (SSLSocket) TestCertificates.clientContext().getSocketFactory()
                .createSocket("localhost", servers.get(0).tlsPort());
        socket.startHandshake();
        return exchange(socket, request);
    }

    /** Sends the bytes and reads the one response (Tomcat closes these connections after it). */
    static Raw exchange(Socket socket, String request) throws IOException {
        return exchange(socket, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Raw exchange(Socket socket, byte[] request) throws IOException {
        try (socket) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0; ) {
                received.write(buffer, 0, n);
                String text = received.toString(StandardCharsets.UTF_8);
                int end = text.indexOf("\r\n\r\n");
                Raw head = end < 0 ? null : new Raw(0, text.substring(0, end), "");
                String length = head == null ? null : head.header("Content-Length");
                if (length != null && text.length() - end - 4 >= Integer.parseInt(length)) {
                    break;
                }
                // A chunked answer is whole at its last chunk, whether or not the server then closes.
                if (head != null && "chunked".equalsIgnoreCase(head.header("Transfer-Encoding"))
                        && text.endsWith("\r\n0\r\n\r\n")) {
                    break;
                }
            }
            String text = received.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("a complete response head in: " + text).isPositive();
            String head = text.substring(0, end);
            Raw raw = new Raw(Integer.parseInt(head.split(" ")[1]), head, text.substring(end + 4));
            return "chunked".equalsIgnoreCase(raw.header("Transfer-Encoding"))
                    ? new Raw(raw.status(), head, dechunk(raw.body())) : raw;
        }
    }

    /** A refusal as a peer checks it: the status, the Matrix errcode, and a message that says what was wrong. */
    static void assertRefused(Raw response, int status, String errcode, String saying) {
        assertThat(response.status()).as(response.head()).isEqualTo(status);
        assertThat(response.matrixError()).containsEntry("errcode", errcode);
        assertThat(response.matrixError().get("error")).asString().contains(saying);
    }

    /** A chunked body (what Spring sends) joined up; enough for one small response. */
    static String dechunk(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
            if (size == 0) {
                return body.toString();
            }
            body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }

    @Test
    void aNulInThePathIsAMatrixError() throws IOException {
        String request = "GET /_matrix/client/v3/rooms/%00/state HTTP/1.1\r\nHost: localhost\r\n\r\n";
        for (Raw response : new Raw[] {plain(request), tls(request)}) {
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.matrixError()).containsEntry("errcode", Errcode.UNRECOGNIZED).containsEntry("error",
                    "The request's path contains a character that is not allowed (%00)");
        }
    }

    @Test
    void aNulInThePathFromAnOrdinaryClient() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(servers.get(0).clientBaseUrl() + "/_matrix/client/v3/rooms/%00/state"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
        assertThat(response.body()).contains("\"errcode\":\"M_");
    }

    @Test
    void aMalformedHeaderIsAMatrixError() throws IOException {
        String request = "GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n";
        for (Raw response : new Raw[] {plain(request), tls(request)}) {
            assertRefused(response, 400, Errcode.UNRECOGNIZED, "[Bad Header]");
        }
    }

    @Test
    void aHeaderOverTheSizeLimitIsAMatrixError() throws IOException {
        String request = "GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000)
                + "\r\n\r\n";
        for (Raw response : new Raw[] {plain(request), tls(request)}) {
            assertRefused(response, 400, Errcode.UNRECOGNIZED, "size limit");
        }
    }

    @Test
    void moreHeadersThanTheLimitIsAMatrixErrorSayingSo() throws IOException {
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            headers.append("X-Header-").append(i).append(": y\r\n");
        }
        String request = "GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n";
        for (Raw response : new Raw[] {plain(request), tls(request)}) {
            assertRefused(response, 400, Errcode.UNRECOGNIZED, "more than 100 headers");
        }
    }

    @Test
    void plainHttpOnTheHttpsPortIsAMatrixErrorSayingToUseTls() throws IOException {
        Raw response = exchange(new Socket("127.0.0.1", servers.get(0).tlsPort()),
                "GET /_matrix/federation/v1/version HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertRefused(response, 400, Errcode.UNRECOGNIZED, "HTTPS only");
        assertThat(response.header("Connection")).isEqualTo("close");
    }

    @Test
    void anInvalidMethodTokenIsAMatrixError() throws IOException {
        Raw response = plain("G(T /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertRefused(response, 400, Errcode.UNRECOGNIZED, "method name");
    }

    @Test
    void badCharactersAndEscapesInTheTargetAreMatrixErrors() throws IOException {
        Raw unescaped = plain("GET /_matrix/client/v3/rooms/{x}/state HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertRefused(unescaped, 400, Errcode.UNRECOGNIZED, "Invalid character");

        Raw query = plain("GET /_matrix/client/v3/sync?since=| HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertRefused(query, 400, Errcode.UNRECOGNIZED, "Invalid character");

        Raw escape = plain("GET /_matrix/client/v3/rooms/%zz/state HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertRefused(escape, 400, Errcode.UNRECOGNIZED, "malformed %-escape");

        Raw notUtf8 = tls("GET /_matrix/client/v3/rooms/%C0%AF/state HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertRefused(notUtf8, 400, Errcode.UNRECOGNIZED, "not UTF-8");
    }

    @Test
    void aMalformedEscapeInTheQueryIsAnInvalidParam() throws IOException {
        // Spring answers this one (Tomcat decodes the query lazily); it keeps the connection unless told not to.
        Raw response = plain("GET /_matrix/client/v3/publicRooms?since=%zz HTTP/1.1\r\nHost: localhost\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.matrixError()).containsEntry("errcode", Errcode.INVALID_PARAM);
    }

    @Test
    void missingOrRepeatedHostAndUnknownVersionsAreMatrixErrors() throws IOException {
        Raw noHost = plain("GET /_matrix/client/versions HTTP/1.1\r\n\r\n");
        assertRefused(noHost, 400, Errcode.UNRECOGNIZED, "no Host header");

        Raw twoHosts = plain("GET /_matrix/client/versions HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
        assertRefused(twoHosts, 400, Errcode.UNRECOGNIZED, "more than one Host");

        Raw version = plain("GET /_matrix/client/versions HTTP/9.1\r\nHost: localhost\r\n\r\n");
        assertRefused(version, 505, Errcode.UNKNOWN, "HTTP version is not supported");

        Raw encoding = plain("POST /_matrix/client/v3/login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: foo\r\n\r\n");
        assertThat(encoding.status()).isEqualTo(501);
        assertThat(encoding.matrixError()).containsEntry("errcode", Errcode.UNRECOGNIZED);
    }

    @Test
    void theErrorPageAskedForByNameIsAnUnrecognizedPath() throws IOException {
        Raw response = plain("GET /error HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertRefused(response, 404, Errcode.UNRECOGNIZED, "Unrecognized request: GET /error");
    }

    @Test
    void aBodyDeclaredOverTheLimitIsRefusedBeforeItIsRead() throws IOException {
        // Only two of the 300 MB arrive: the answer must not wait for the rest, nor try to hold it.
        Raw response = plain("POST /_matrix/client/v3/login HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: 300000000\r\n\r\n{}");
        assertRefused(response, 413, Errcode.TOO_LARGE, "over the limit of " + JsonBody.MAX_BYTES + " bytes");
        assertThat(versions()).isEqualTo(200);
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedAsItArrives() throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("POST /_matrix/client/v3/login HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.ISO_8859_1);
        for (int sent = 0; sent <= JsonBody.MAX_BYTES; sent += chunk.length) {
            request.writeBytes((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            request.writeBytes(chunk);
            request.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        request.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Raw response = exchange(new Socket("127.0.0.1", servers.get(0).httpPort()), request.toByteArray());
        assertRefused(response, 413, Errcode.TOO_LARGE, "over the limit of " + JsonBody.MAX_BYTES + " bytes");
        assertThat(versions()).isEqualTo(200);
    }

    @Test
    void aBodyOverAnEndpointsOwnLimitIsTooLargeNotMalformed() throws IOException {
        // Presence takes a few fields (JsonBody.SMALL, 64 KiB): past that it is 413, as past the server's limit.
        User user = new MatrixClient(servers.get(0).clientBaseUrl()).register(unique("presence"));
        String body = "{\"presence\":\"online\",\"status_msg\":\"" + "x".repeat(70_000) + "\"}";
        Raw response = plain("PUT /_matrix/client/v3/presence/" + MatrixClient.encode(user.userId()) + "/status HTTP/1.1\r\n"
                + "Host: localhost\r\nAuthorization: Bearer " + user.accessToken() + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n"
                + body);
        assertRefused(response, 413, Errcode.TOO_LARGE, "over the limit of 65536 bytes");
    }

    @Test
    void aFederationBodyTooDenseToParseIsRefusedBeforeItsSignatureIsChecked() throws IOException {
        // 1 MB of {"a":0} would take ~30 MB once parsed; 8 MB of it filled a 256 MB heap by itself.
        StringBuilder dense = new StringBuilder("{\"pdus\":[");
        while (dense.length() < 1_000_000) {
            dense.append("{\"a\":0},");
        }
        dense.setCharAt(dense.length() - 1, ']');
        dense.append(",\"edus\":[]}");
        Raw response = plain("PUT /_matrix/federation/v1/send/dense HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: X-Matrix origin=\"attacker.invalid\",destination=\"" + servers.get(0).serverName()
                + "\",key=\"ed25519:a\",sig=\"c2lnbmF0dXJl\"\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + dense.length() + "\r\nConnection: close\r\n\r\n" + dense);
        assertRefused(response, 413, Errcode.TOO_LARGE, "times its size");
        assertThat(versions()).isEqualTo(200);
    }

    /** The server still answers: a refused body took nothing down with it. */
    static int versions() throws IOException {
        return plain("GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").status();
    }
}
