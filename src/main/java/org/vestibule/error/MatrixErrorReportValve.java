package org.vestibule.error;

import java.io.IOException;
import java.io.Writer;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.apache.tomcat.util.http.MimeHeaders;

/**
 * Tomcat's error page, as Matrix JSON: what Tomcat refuses before Spring sees the request (a
 * request line or header it cannot parse, {@code %00} or a bad escape in the path, a header over
 * {@code maxHttpHeaderSize} or more of them than {@code maxHeaderCount}, an unknown
 * Transfer-Encoding) reaches the Host's error report valve, never the {@code /error} page, because
 * no servlet context is mapped for it.
 *
 * <p>Not covered, because Tomcat answers before any valve: plain HTTP sent to the HTTPS port (see
 * {@link PlainHttpOnTlsPort}); a connection that breaks or times out mid-request gets no answer at all.
 */
public class MatrixErrorReportValve extends ErrorReportValve {

    /** Tomcat's parse errors echo what was sent; enough of it to see the problem, not a whole header. */
    private static final int MAX_DETAIL = 300;

    /** Tomcat's message (headers.maxCountFail) once its header count limit is passed. */
    private static final Pattern HEADER_COUNT = Pattern.compile("maximum allowed number of headers, \\[(\\d+)]");

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        // The same conditions as Tomcat's own report: an error nobody answered yet, on a live connection.
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        ErrorStatus error = ErrorStatus.of(status);
        String message = reason(status, rawTarget(request), response.getMessage(), throwable,
                request.getCoyoteRequest().getMimeHeaders());
        if (message != null) {
            error = error.withMessage(message);
        }
        Map<String, Object> body = MatrixErrorHandler.json(error.errcode(), error.message(), Map.of());
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(JsonBody.write(body));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The client is gone or the response was committed meanwhile: nothing more to send.
        }
    }

    /**
     * A message a person can act on, from what Tomcat knows; null for the status's own message.
     *
     * @param target the request target as sent (path and query, undecoded), or null when unparsable
     * @param tomcatMessage the message Tomcat gave {@code sendError}, or null
     * @param throwable what Tomcat's parser threw (its messages say which part was wrong), or null
     */
    static String reason(int status, String target, String tomcatMessage, Throwable throwable, MimeHeaders headers) {
        if (status == 501 && tomcatMessage != null) {
            return tomcatMessage;
        }
        if (status != 400) {
            return null;
        }
        if (throwable instanceof IllegalArgumentException && "Request header is too large".equals(throwable.getMessage())) {
            return "The request line and headers together are over the server's size limit";
        }
        if (throwable instanceof IllegalStateException && throwable.getMessage() != null) {
            // MimeHeaders' limit (the connector's maxHeaderCount), the one state Tomcat's parser refuses on.
            Matcher limit = HEADER_COUNT.matcher(throwable.getMessage());
            if (limit.find()) {
                return "The request has more than " + limit.group(1) + " headers, the server's limit";
            }
        }
        if (throwable instanceof IllegalArgumentException && throwable.getMessage() != null) {
            return "Bad request: the server could not parse it: " + shorten(throwable.getMessage());
        }
        String path = target == null ? "" : target.split("\\?", 2)[0];
        if (path.toLowerCase(Locale.ROOT).contains("%00")) {
            return "The request's path contains a character that is not allowed (%00)";
        }
        if (tomcatMessage != null && tomcatMessage.startsWith("Invalid URI:")) {
            return "The request's path has a malformed %-escape: " + shorten(path);
        }
        if ("Invalid URI".equals(tomcatMessage)) {
            return "The request's path must start with '/' and must not climb above it with '..': " + shorten(path);
        }
        int hosts = count(headers, "host");
        if (hosts != 1) {
            return hosts == 0 ? "The request has no Host header; HTTP/1.1 requires one"
                    : "The request has more than one Host header";
        }
        if (count(headers, "content-length") > 0) {
            String length = headers.getHeader("content-length");
            if (count(headers, "content-length") > 1 || length == null || !length.trim().matches("[0-9]+")) {
                return "The Content-Length header must be a single whole number";
            }
        }
        if (path.contains("%")) {
            return "The request's path is not UTF-8 once its %-escapes are decoded: " + shorten(path);
        }
        return null;
    }

    private static int count(MimeHeaders headers, String name) {
        int n = 0;
        for (Enumeration<String> values = headers.values(name); values.hasMoreElements(); values.nextElement()) {
            n++;
        }
        return n;
    }

    private static String rawTarget(Request request) {
        try {
            String uri = request.getCoyoteRequest().requestURI().toString();
            String query = request.getCoyoteRequest().queryString().toString();
            return query == null ? uri : uri + "?" + query;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String shorten(String text) {
        return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL) + "…";
    }
}
