package org.vestibule.error;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.tomcat.util.net.TLSClientHelloExtractor;

/**
 * The answer to plain HTTP sent to the HTTPS port, as Matrix JSON. Tomcat sends it from the TLS
 * channel itself, before any request or valve exists, as the fixed bytes it keeps in a public field
 * for embedders to replace (its own is a text/plain "This combination of host and port requires TLS.").
 */
public final class PlainHttpOnTlsPort {

    static final String MESSAGE = "This port takes HTTPS only: send the request over TLS (https://)";

    private PlainHttpOnTlsPort() {
    }

    /** Sets the answer for every HTTPS connector of this JVM; the same bytes each time. */
    public static void answerWithMatrixError() {
        TLSClientHelloExtractor.USE_TLS_RESPONSE = response();
    }

    static byte[] response() {
        byte[] body = JsonBody.write(MatrixErrorHandler.json(Errcode.UNRECOGNIZED, MESSAGE, Map.of()))
                .getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 400 \r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n";
        byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] response = new byte[head8.length + body.length];
        System.arraycopy(head8, 0, response, 0, head8.length);
        System.arraycopy(body, 0, response, head8.length, body.length);
        return response;
    }
}
