package org.vestibule.media;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Content-Disposition and Content-Type as media goes out and comes back (RFC 6266, RFC 5987). */
class ContentDispositionTests {

    @Test
    void inlineOnlyForTheSpecsSafeTypes() {
        assertThat(ContentDisposition.of("image/png", null)).isEqualTo("inline");
        assertThat(ContentDisposition.of("Text/Plain; charset=utf-8", "a.txt")).isEqualTo("inline; filename=a.txt");
        assertThat(ContentDisposition.of("text/html", "page.html")).isEqualTo("attachment; filename=page.html");
        assertThat(ContentDisposition.of("image/svg+xml", null)).isEqualTo("attachment");
        assertThat(ContentDisposition.of("application/octet-stream", "")).isEqualTo("attachment");
    }

    @Test
    void namesThatAreNotTokensGoInFilenameStarWithAnAsciiFallback() {
        assertThat(ContentDisposition.of("application/pdf", "War and Peace.pdf"))
                .isEqualTo("attachment; filename=\"War and Peace.pdf\"; filename*=utf-8''War%20and%20Peace.pdf");
        assertThat(ContentDisposition.of("image/png", "r\u00e9sum\u00e9 \u2603.png"))
                .isEqualTo("inline; filename=\"r_sum_ _.png\"; filename*=utf-8''r%C3%A9sum%C3%A9%20%E2%98%83.png");
        // Quotes, backslashes, percent signs and line breaks never reach the header as they are.
        String nasty = ContentDisposition.of("text/plain", "a\"b\\c%d\r\nSet-Cookie: x");
        assertThat(nasty).doesNotContain("\r").doesNotContain("\n")
                .isEqualTo("inline; filename=\"a_b_c%d__Set-Cookie: x\"; filename*=utf-8''a%22b%5Cc%25d%0D%0ASet-Cookie%3A%20x");
    }

    @Test
    void fileNamesAsPeersSendThem() {
        assertThat(ContentDisposition.fileName("inline; filename=a.txt")).isEqualTo("a.txt");
        assertThat(ContentDisposition.fileName("attachment; filename=\"War \\\"and\\\" Peace.pdf\""))
                .isEqualTo("War \"and\" Peace.pdf");
        assertThat(ContentDisposition.fileName("inline; filename*=utf-8''%E2%98%83.png")).isEqualTo("\u2603.png");
        assertThat(ContentDisposition.fileName("inline; filename=\"fallback.png\"; filename*=UTF-8'en'%E2%98%83.png"))
                .isEqualTo("\u2603.png");
        // A broken filename* falls back to filename.
        assertThat(ContentDisposition.fileName("inline; filename=ok.png; filename*=utf-8''%E2%98")).isEqualTo("ok.png");
        assertThat(ContentDisposition.fileName("inline; filename*=iso-8859-1''a.png")).isNull();
        assertThat(ContentDisposition.fileName("inline")).isNull();
        assertThat(ContentDisposition.fileName(null)).isNull();
        assertThat(ContentDisposition.fileName("inline; filename=" + "x".repeat(300))).isNull();
        // What we send, we read back.
        String name = "r\u00e9sum\u00e9; \"final\".pdf";
        assertThat(ContentDisposition.fileName(ContentDisposition.of("application/pdf", name))).isEqualTo(name);
    }

    @Test
    void contentTypesAreKeptWhenWellFormed() {
        assertThat(ContentDisposition.contentType("image/png")).isEqualTo("image/png");
        assertThat(ContentDisposition.contentType(" text/plain; charset=utf-8 ")).isEqualTo("text/plain; charset=utf-8");
        assertThat(ContentDisposition.contentType(null)).isEqualTo("application/octet-stream");
        assertThat(ContentDisposition.contentType("")).isEqualTo("application/octet-stream");
        assertThat(ContentDisposition.contentType("not a type")).isEqualTo("application/octet-stream");
        assertThat(ContentDisposition.contentType("image/png\r\nX: y")).isEqualTo("application/octet-stream");
        assertThat(ContentDisposition.contentType("image/" + "p".repeat(300))).isEqualTo("application/octet-stream");
        assertThat(MediaResponses.safeType("text/plain; charset=\"unterminated")).isEqualTo("application/octet-stream");
    }
}
