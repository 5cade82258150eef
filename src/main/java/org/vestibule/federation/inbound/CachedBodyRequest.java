package org.vestibule.federation.inbound;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.vestibule.error.Errcode;
import org.vestibule.error.MatrixException;

/**
 * A federation request whose body is read once, up to a limit, and then served from memory: the
 * signature check needs it before the controller does.
 */
final class CachedBodyRequest extends HttpServletRequestWrapper {

    private final int maxBytes;
    private byte[] body;

    CachedBodyRequest(HttpServletRequest request, int maxBytes) {
        super(request);
        this.maxBytes = maxBytes;
    }

    /** The whole body; 413 M_TOO_LARGE beyond the limit. */
    byte[] body() {
        if (body == null) {
            body = read();
        }
        return body;
    }

    private byte[] read() {
        long declared = getRequest().getContentLengthLong();
        if (declared > maxBytes) {
            throw tooLarge();
        }
        if (declared == 0) {
            return new byte[0];
        }
        // Grown as bytes arrive: a declared length alone, with no body behind it, takes no memory.
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) Math.min(declared, 65_536) : 256);
        try (InputStream in = getRequest().getInputStream()) {
            // Most federation requests are GETs without a body: no 8 KiB buffer for those.
            byte[] buffer = new byte[declared > 0 ? (int) Math.min(declared, 8192) : 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (out.size() + n > maxBytes) {
                    throw tooLarge();
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new MatrixException(400, Errcode.UNKNOWN, "Could not read the request body: " + e.getMessage());
        }
        return out.toByteArray();
    }

    private MatrixException tooLarge() {
        return new MatrixException(413, Errcode.TOO_LARGE, "The request body is larger than " + maxBytes + " bytes");
    }

    @Override
    public ServletInputStream getInputStream() {
        ByteArrayInputStream in = new ByteArrayInputStream(body());
        return new ServletInputStream() {
            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                throw new UnsupportedOperationException("the body is already in memory");
            }

            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }
        };
    }

    @Override
    public BufferedReader getReader() {
        String encoding = getCharacterEncoding();
        Charset charset = encoding != null && Charset.isSupported(encoding) ? Charset.forName(encoding) : StandardCharsets.UTF_8;
        return new BufferedReader(new InputStreamReader(getInputStream(), charset));
    }
}
