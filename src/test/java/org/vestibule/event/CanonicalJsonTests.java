package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec's canonical JSON examples (appendices §Canonical JSON) and the grammar's edge cases. */
class CanonicalJsonTests {

    private static String canonical(String json) {
        Object value = StrictJsonParser.parse(json.getBytes(StandardCharsets.UTF_8),
                new StrictJsonParser.Limits(1 << 20, 64));
        return new String(CanonicalJson.encode(value), StandardCharsets.UTF_8);
    }

    @Test
    void specExampleEmptyObject() {
        assertThat(canonical("{}")).isEqualTo("{}");
    }

    @Test
    void specExampleNestedAuthObject() {
        String in = """
                {
                    "one": 1,
                    "two": "Two"
                }""";
        assertThat(canonical(in)).isEqualTo("{\"one\":1,\"two\":\"Two\"}");
    }

    @Test
    void specExampleKeysSorted() {
        assertThat(canonical("{\"b\":\"2\",\"a\":\"1\"}")).isEqualTo("{\"a\":\"1\",\"b\":\"2\"}");
    }

    @Test
    void specExampleAuthBlock() {
        String in = """
                {
                    "auth": {
                        "success": true,
                        "mxid": "@john.doe:example.com",
                        "profile": {
                            "display_name": "John Doe",
                            "three_pids": [
                                {
                                    "medium": "email",
                                    "address": "john.doe@example.org"
                                },
                                {
                                    "medium": "msisdn",
                                    "address": "123456789"
                                }
                            ]
                        }
                    }
                }""";
        assertThat(canonical(in)).isEqualTo("{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":"
                + "\"John Doe\",\"three_pids\":[{\"address\":\"john.doe@example.org\",\"medium\":\"email\"},"
                + "{\"address\":\"123456789\",\"medium\":\"msisdn\"}]},\"success\":true}}");
    }

    @Test
    void specExampleNonAsciiKeysSortedByCodePoint() {
        assertThat(canonical("{\"本\":2,\"日\":1}")).isEqualTo("{\"日\":1,\"本\":2}");
    }

    @Test
    void specExampleUnicodeEscapeWrittenRaw() {
        assertThat(canonical("{\"a\":\"\\u65E5\"}")).isEqualTo("{\"a\":\"日\"}");
    }

    @Test
    void specExampleNull() {
        assertThat(canonical("{\"a\":null}")).isEqualTo("{\"a\":null}");
    }

    @Test
    void specExampleNegativeZeroBecomesZero() {
        assertThat(canonical("{\"a\":-0}")).isEqualTo("{\"a\":0}");
    }

    @Test
    void specExampleExponentIsRefusedByTheStrictParserAndTheEncoder() {
        // The spec turns 1e10 into 10000000000; we follow strict servers and refuse it (see DESIGN.md).
        assertThatThrownBy(() -> canonical("{\"b\":1e10}")).isInstanceOf(MalformedJsonException.class);
        assertThatThrownBy(() -> CanonicalJson.encode(Map.of("b", 1e10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("integers only");
        assertThat(CanonicalJson.encodeToString(Map.of("b", 10000000000L))).isEqualTo("{\"b\":10000000000}");
    }

    @Test
    void escapesOnlyWhatTheGrammarEscapesWithLowercaseHex() {
        String s = "\u0000\b\t\n\u000b\f\r\u001f\u007f\"\\/\u2028\uD83D\uDE00";
        assertThat(CanonicalJson.encodeToString(Map.of("a", s)))
                .isEqualTo("{\"a\":\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\u007f\\\"\\\\/\u2028\uD83D\uDE00\"}");
    }

    @Test
    void sortsKeysByCodePointNotUtf16() {
        // U+1F600 (a surrogate pair in UTF-16) must come after U+FFFF.
        Map<String, Object> map = Json.objectOf("\uD83D\uDE00", 2L, "\uFFFF", 1L, "a", 0L);
        assertThat(CanonicalJson.encodeToString(map)).isEqualTo("{\"a\":0,\"\uFFFF\":1,\"\uD83D\uDE00\":2}");
    }

    @Test
    void writesNonAsciiAsUtf8() {
        assertThat(CanonicalJson.encode(Map.of("k", "é"))).containsExactly('{', '"', 'k', '"', ':', '"', 0xC3, 0xA9, '"', '}');
    }

    @Test
    void refusesIntegersOutsideTheSafeRange() {
        assertThat(CanonicalJson.encodeToString(List.of(9007199254740991L, -9007199254740991L)))
                .isEqualTo("[9007199254740991,-9007199254740991]");
        assertThatThrownBy(() -> CanonicalJson.encode(List.of(9007199254740992L)))
                .hasMessageContaining("outside");
    }

    @Test
    void refusesLoneSurrogates() {
        assertThatThrownBy(() -> CanonicalJson.encode(Map.of("a", "\uD800")))
                .hasMessageContaining("surrogate");
    }

    @Test
    void encodesNestedArraysBooleansAndEmptyValues() {
        assertThat(CanonicalJson.encodeToString(Json.objectOf("z", List.of(true, false), "a", Map.of(), "m", List.of())))
                .isEqualTo("{\"a\":{},\"m\":[],\"z\":[true,false]}");
    }
}
