package org.vestibule.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The m.room.server_acl rule (spec: the event's schema, appendices §Glob-style matching), as a table. */
class ServerAclTests {

    static Map<String, Object> content(Object allow, Object deny, Object allowIpLiterals) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (allow != null) {
            c.put("allow", allow);
        }
        if (deny != null) {
            c.put("deny", deny);
        }
        if (allowIpLiterals != null) {
            c.put("allow_ip_literals", allowIpLiterals);
        }
        return c;
    }

    static Arguments row(String why, Map<String, Object> content, String server, boolean allowed) {
        return Arguments.of(why, content, server, allowed);
    }

    static final List<String> ALL = List.of("*");

    static Stream<Arguments> table() {
        return Stream.of(
                // globs
                row("* allows anything", content(ALL, null, null), "example.org", true),
                row("exact name", content(List.of("example.org"), null, null), "example.org", true),
                row("exact name is whole-string", content(List.of("example.org"), null, null), "notexample.org", false),
                row("exact name is not a prefix", content(List.of("example.org"), null, null), "example.org.evil", false),
                row("*.suffix", content(List.of("*.example.org"), null, null), "matrix.example.org", true),
                row("*.suffix needs the dot", content(List.of("*.example.org"), null, null), "example.org", false),
                row("? is exactly one character", content(List.of("hs?.example.org"), null, null), "hs1.example.org", true),
                row("? is not zero characters", content(List.of("hs?.example.org"), null, null), "hs.example.org", false),
                row("? is not two characters", content(List.of("hs?.example.org"), null, null), "hs12.example.org", false),
                row("* in the middle", content(List.of("mat*.org"), null, null), "matrix.example.org", true),
                row("many stars, no match", content(List.of("*a*a*a*a*a*a*a*b"), null, null), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
                row("regex characters are literal", content(List.of("example.org"), null, null), "exampleXorg", false),
                row("brackets are literal", content(List.of("[::1]"), null, null), "[::1]:8448", true),
                // case
                row("pattern upper case", content(List.of("EXAMPLE.ORG"), null, null), "example.org", true),
                row("name upper case", content(List.of("example.org"), null, null), "Example.ORG", true),
                row("deny is case-insensitive", content(ALL, List.of("Evil.*"), null), "EVIL.com", false),
                // ports
                row("port ignored when matching allow", content(List.of("example.org"), null, null), "example.org:8448", true),
                row("port ignored when matching deny", content(ALL, List.of("evil.com"), null), "evil.com:1234", false),
                row("a pattern with a port matches nothing", content(List.of("example.org:8448"), null, null), "example.org:8448", false),
                row("a deny with a port denies nothing", content(ALL, List.of("evil.com:*"), null), "evil.com:1234", true),
                // deny wins, absent allow allows nothing
                row("deny wins over allow", content(List.of("evil.com"), List.of("evil.com"), null), "evil.com", false),
                row("deny glob wins over allow *", content(ALL, List.of("*.evil.com"), null), "hs.evil.com", false),
                row("absent allow allows nothing", content(null, null, null), "example.org", false),
                row("absent allow, even with a deny list", content(null, List.of("evil.com"), null), "good.org", false),
                row("empty allow allows nothing", content(List.of(), null, null), "example.org", false),
                // IP literals
                row("IPv4 allowed by default", content(ALL, null, null), "1.2.3.4", true),
                row("IPv4 refused when literals are off", content(ALL, null, false), "1.2.3.4", false),
                row("IPv4 with port refused", content(ALL, null, false), "127.0.0.1:8448", false),
                row("bracketed IPv6 refused", content(ALL, null, false), "[::1]", false),
                row("bracketed IPv6 with port refused", content(ALL, null, false), "[2001:db8::1]:8448", false),
                row("unbracketed IPv6 refused", content(ALL, null, false), "2001:db8::1", false),
                row("IPv6 allowed when literals are on", content(ALL, null, true), "[::1]:8448", true),
                row("a name of digits is not IPv4", content(ALL, null, false), "1.2.3.4.example", true),
                row("three groups are not IPv4", content(ALL, null, false), "1.2.3", true),
                row("IPv4 denied by a deny glob", content(ALL, List.of("127.0.0.*"), null), "127.0.0.1:8448", false),
                row("IPv4 allowed by an allow glob", content(List.of("10.*"), null, true), "10.1.2.3", true),
                row("literals on still need an allow", content(List.of("example.org"), null, true), "1.2.3.4", false),
                // malformed content, as the schema's defaults say
                row("non-boolean allow_ip_literals is true", content(ALL, null, "false"), "1.2.3.4", true),
                row("numeric allow_ip_literals is true", content(ALL, null, 0L), "1.2.3.4", true),
                row("non-list allow is empty", content("*", null, null), "example.org", false),
                row("object allow is empty", content(Map.of("a", "*"), null, null), "example.org", false),
                row("non-list deny is empty", content(ALL, "evil.com", null), "evil.com", true),
                row("non-string allow entries skipped", content(Arrays.asList(1L, null, true, "example.org"), null, null),
                        "example.org", true),
                row("only non-string allow entries allow nothing", content(List.of(1L, Map.of()), null, null),
                        "example.org", false),
                row("non-string deny entries skipped", content(ALL, List.of(42L, List.of("evil.com")), null), "evil.com", true));
    }

    @ParameterizedTest(name = "{0}: {2} → {3}")
    @MethodSource("table")
    void decides(String why, Map<String, Object> content, String server, boolean allowed) {
        ServerAcl acl = ServerAcl.fromContent(content);
        assertThat(acl.allows(server)).as(why + " (" + acl + ")").isEqualTo(allowed);
        assertThat(acl.refusal(server).isPresent()).isEqualTo(!allowed);
    }

    @Test
    @DisplayName("no ACL event allows every server, IP literals included")
    void noAclAllowsAll() {
        for (String server : List.of("example.org", "1.2.3.4", "[::1]:8448", "localhost:8448")) {
            assertThat(ServerAcl.NONE.allows(server)).isTrue();
        }
        assertThat(ServerAcl.NONE.present()).isFalse();
    }

    @Test
    @DisplayName("a refusal says which rule denied the server")
    void refusalsSayWhy() {
        assertThat(ServerAcl.fromContent(content(ALL, null, false)).refusal("127.0.0.1:1")).hasValueSatisfying(
                r -> assertThat(r).contains("allow_ip_literals is false").contains("127.0.0.1"));
        assertThat(ServerAcl.fromContent(content(ALL, List.of("evil.*"), null)).refusal("evil.com")).hasValueSatisfying(
                r -> assertThat(r).contains("deny entry 'evil.*'"));
        assertThat(ServerAcl.fromContent(content(null, null, null)).refusal("a.org")).hasValueSatisfying(
                r -> assertThat(r).contains("allow list is empty"));
        assertThat(ServerAcl.fromContent(content(List.of("good.org"), null, null)).refusal("a.org")).hasValueSatisfying(
                r -> assertThat(r).contains("none of its allow entries [good.org]"));
    }

    @Test
    @DisplayName("the port is cut from names, IPv6 brackets kept")
    void hostOf() {
        assertThat(ServerAcl.hostOf("example.org")).isEqualTo("example.org");
        assertThat(ServerAcl.hostOf("example.org:8448")).isEqualTo("example.org");
        assertThat(ServerAcl.hostOf("[::1]:8448")).isEqualTo("[::1]");
        assertThat(ServerAcl.hostOf("[::1]")).isEqualTo("[::1]");
        assertThat(ServerAcl.hostOf("::1")).isEqualTo("::1");
    }
}
