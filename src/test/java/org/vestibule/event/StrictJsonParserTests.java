package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per rejection rule of the strict parser, each checking that the message says what and where. */
class StrictJsonParserTests {

    private static final StrictJsonParser.Limits LIMITS = new StrictJsonParser.Limits(1024, 8);

    private static Object parse(String json) {
        return StrictJsonParser.parse(json.getBytes(StandardCharsets.UTF_8), LIMITS);
    }

    private static Object parse(byte[] json) {
        return StrictJsonParser.parse(json, LIMITS);
    }

    @Test
    void parsesTheJsonModel() {
        Object value = parse("{\"a\":[1,-2,\"x\",true,false,null,{}],\"b\":\"\\u00e9\\n\"}");
        assertThat(value).isEqualTo(Json.objectOf("a", Arrays.asList(1L, -2L, "x", true, false, null, Map.of()),
                "b", "é\n"));
    }

    @Test
    void rejectsDuplicateKeys() {
        assertThatThrownBy(() -> parse("{\"a\":{\"b\":1,\"b\":2}}"))
                .isInstanceOf(MalformedJsonException.class)
                .hasMessageContaining("duplicate key \"b\"").hasMessageContaining("$.a");
    }

    @Test
    void rejectsFractions() {
        assertThatThrownBy(() -> parse("{\"depth\":1.5}"))
                .hasMessageContaining("without a fraction or exponent").hasMessageContaining("$.depth");
    }

    @Test
    void rejectsExponents() {
        assertThatThrownBy(() -> parse("[1e3]")).hasMessageContaining("without a fraction or exponent");
        assertThatThrownBy(() -> parse("[1E3]")).hasMessageContaining("without a fraction or exponent");
    }

    @Test
    void rejectsIntegersOutsideTheSafeRange() {
        assertThat(parse("[9007199254740991,-9007199254740991]")).isEqualTo(List.of(9007199254740991L, -9007199254740991L));
        assertThatThrownBy(() -> parse("[9007199254740992]")).hasMessageContaining("outside ±(2^53-1)");
        assertThatThrownBy(() -> parse("[-9007199254740992]")).hasMessageContaining("outside ±(2^53-1)");
        assertThatThrownBy(() -> parse("[123456789012345678901234567890]")).hasMessageContaining("outside ±(2^53-1)");
    }

    @Test
    void rejectsLeadingZeros() {
        assertThatThrownBy(() -> parse("[01]")).hasMessageContaining("leading zeros");
    }

    @Test
    void rejectsInvalidUtf8() {
        assertThatThrownBy(() -> parse(new byte[] {'[', '"', (byte) 0xC3, '"', ']'}))
                .hasMessageContaining("UTF-8").hasMessageContaining("at byte 2");
        assertThatThrownBy(() -> parse(new byte[] {'[', '"', (byte) 0xFF, '"', ']'}))
                .hasMessageContaining("invalid UTF-8 byte 0xFF");
    }

    @Test
    void rejectsOverlongUtf8AndEncodedSurrogates() {
        assertThatThrownBy(() -> parse(new byte[] {'[', '"', (byte) 0xE0, (byte) 0x80, (byte) 0xAF, '"', ']'}))
                .hasMessageContaining("overlong");
        assertThatThrownBy(() -> parse(new byte[] {'[', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ']'}))
                .hasMessageContaining("surrogate");
    }

    @Test
    void rejectsLoneSurrogateEscapes() {
        assertThatThrownBy(() -> parse("[\"\\ud800\"]")).hasMessageContaining("lone surrogate");
        assertThatThrownBy(() -> parse("[\"\\udc00\"]")).hasMessageContaining("lone surrogate");
        assertThat(parse("[\"\\ud83d\\ude00\"]")).isEqualTo(List.of("\uD83D\uDE00"));
    }

    @Test
    void rejectsNestingDeeperThanTheBound() {
        assertThat(parse("[[[[[[[[1]]]]]]]]")).isNotNull();
        assertThatThrownBy(() -> parse("[[[[[[[[[1]]]]]]]]]")).hasMessageContaining("deeper than 8 levels");
    }

    @Test
    void rejectsInputOverTheSizeLimit() {
        byte[] big = ("[\"" + "x".repeat(1100) + "\"]").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> parse(big)).hasMessageContaining("over the limit of 1024 bytes");
    }

    /** {@code [shape,shape,…]} of about {@code size} bytes. */
    private static byte[] repeated(String shape, int size) {
        StringBuilder json = new StringBuilder("[");
        while (json.length() < size) {
            json.append(shape).append(',');
        }
        json.setCharAt(json.length() - 1, ']');
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void rejectsJsonThatWouldTakeFarMoreMemoryThanItsSize() {
        StrictJsonParser.Limits big = new StrictJsonParser.Limits(1 << 24, 8);
        // Each {"a":0} would be a map, its table, an entry and a key: ~250 bytes for 8.
        assertThatThrownBy(() -> StrictJsonParser.parse(repeated("{\"a\":0}", 1 << 20), big))
                .isInstanceOfSatisfying(MalformedJsonException.class, e -> assertThat(e.tooLarge()).isTrue())
                .hasMessageContaining("times its size");
        // Empty objects, arrays and strings are shared, so dense runs of them take little.
        assertThat((List<?>) StrictJsonParser.parse(repeated("{}", 1 << 20), big)).hasSizeGreaterThan(300_000);
        assertThat((List<?>) StrictJsonParser.parse(repeated("[]", 1 << 20), big)).hasSizeGreaterThan(300_000);
        assertThat((List<?>) StrictJsonParser.parse(repeated("\"\"", 1 << 20), big)).hasSizeGreaterThan(300_000);
        // A document of a few KB may be as dense as it likes.
        assertThat((List<?>) StrictJsonParser.parse(repeated("{\"a\":0}", 2000), big)).hasSizeGreaterThan(200);
        // Compact member-like objects with short IDs (a test harness's) take ~9 times their size: accepted.
        assertThat((List<?>) StrictJsonParser.parse(repeated(
                "{\"type\":\"m.room.member\",\"state_key\":\"@u:hs1\",\"content\":{\"membership\":\"join\"}}", 1 << 20),
                big)).hasSizeGreaterThan(10_000);
    }

    @Test
    void asksForTheMemoryItsValuesTakeAStepAheadAndStopsWhenRefused() {
        StrictJsonParser.Limits big = new StrictJsonParser.Limits(1 << 24, 8);
        byte[] strings = repeated("\"" + "x".repeat(20) + "\"", 1 << 20); // ~3 times its size
        List<Long> asked = new ArrayList<>();
        assertThat((List<?>) StrictJsonParser.parse(strings, big, total -> asked.add(total))).hasSizeGreaterThan(40_000);
        // From 64 KiB, doubling to steps of a MiB: 64, 128, 256, 512 KiB, 1, 2, 3… MiB.
        assertThat(asked).hasSizeBetween(6, 12);
        assertThat(asked.subList(0, asked.size() - 1)).isSorted();
        assertThat(asked.get(0)).isBetween(64 * 1024L, 65 * 1024L);
        assertThat(asked.get(asked.size() - 2) - asked.get(asked.size() - 3)).isLessThanOrEqualTo(StrictJsonParser.GRANT_STEP + 1024L);
        // At the end, what the values came to: below the last step asked for, ~3 times the input.
        long cameTo = asked.get(asked.size() - 1);
        assertThat(cameTo).isLessThan(asked.get(asked.size() - 2)).isBetween(2L << 20, 5L << 20);

        List<Long> refused = new ArrayList<>();
        assertThatThrownBy(() -> StrictJsonParser.parse(strings, big, total -> refused.add(total) && total < (1 << 20)))
                .isInstanceOfSatisfying(MalformedJsonException.class, e -> assertThat(e.tooLarge()).isTrue())
                .hasMessageContaining("more than is free for it now");
        assertThat(refused).hasSize(5).last().satisfies(total -> assertThat(total).isGreaterThanOrEqualTo(1L << 20));
    }

    @Test
    void realEventsAtAFederationBodysLimitAreWellWithinIt() throws Exception {
        byte[] vectors;
        try (var in = StrictJsonParserTests.class.getResourceAsStream("/vectors/synapse-1.160-rooms.json")) {
            vectors = in.readAllBytes();
        }
        // Synapse's events, repeated to 8 MB: ~4.3 times their size in memory.
        byte[] body = repeated(new String(vectors, StandardCharsets.UTF_8), StrictJsonParser.Limits.REQUEST.maxBytes() - vectors.length - 2);
        assertThat((List<?>) StrictJsonParser.parse(body, StrictJsonParser.Limits.REQUEST)).hasSizeGreaterThan(100);
    }

    @Test
    void rejectsTrailingContent() {
        assertThatThrownBy(() -> parse("{} {}")).hasMessageContaining("after the JSON value");
    }

    @Test
    void rejectsRawControlCharactersInStrings() {
        assertThatThrownBy(() -> parse("[\"a\u0001\"]")).hasMessageContaining("control character U+0001");
    }

    @Test
    void rejectsInvalidEscapes() {
        assertThatThrownBy(() -> parse("[\"\\x\"]")).hasMessageContaining("invalid escape");
        assertThatThrownBy(() -> parse("[\"\\u12g4\"]")).hasMessageContaining("hex digit");
    }

    @Test
    void rejectsTruncatedInput() {
        assertThatThrownBy(() -> parse("{\"a\":")).hasMessageContaining("unexpected end");
        assertThatThrownBy(() -> parse("[\"abc")).hasMessageContaining("unterminated string");
        assertThatThrownBy(() -> parse("")).hasMessageContaining("unexpected end");
    }

    @Test
    void rejectsNonJson() {
        assertThatThrownBy(() -> parse("nope")).hasMessageContaining("invalid literal");
        assertThatThrownBy(() -> parse("{a:1}")).hasMessageContaining("expected a string key");
        assertThatThrownBy(() -> parse("[1,]")).hasMessageContaining("unexpected character");
    }

    @Test
    void parseObjectRequiresAnObject() {
        assertThatThrownBy(() -> StrictJsonParser.parseObject("[]".getBytes(StandardCharsets.UTF_8), LIMITS))
                .hasMessageContaining("expected a JSON object");
    }

    @Test
    void returnsUnmodifiableValues() {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) parse("{\"a\":[1]}");
        assertThatThrownBy(() -> map.put("b", 1L)).isInstanceOf(UnsupportedOperationException.class);
    }
}
