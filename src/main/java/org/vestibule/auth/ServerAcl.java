package org.vestibule.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A room's server access control list, the content of its {@code m.room.server_acl} (spec
 * client-server §Server Access Control Lists, the event's schema; server-server §Server ACLs):
 * case-insensitive globs ({@code *}, {@code ?}, spec appendices §Glob-style matching) matched
 * against the server name without its port, in the schema's order: IP literals refused when
 * {@code allow_ip_literals} is false, then {@code deny}, then {@code allow}, else refused.
 * Malformed content is read as the schema's defaults say (and as Synapse reads it): a
 * non-boolean {@code allow_ip_literals} is true, a non-list {@code allow} or {@code deny} is
 * empty, non-string entries are skipped.
 */
public final class ServerAcl {

    /** No ACL event in the room: every server is allowed (rule 1). */
    public static final ServerAcl NONE = new ServerAcl(true, List.of("*"), List.of(), false);

    private final boolean allowIpLiterals;
    private final List<String> allow;
    private final List<String> deny;
    private final boolean present;

    private ServerAcl(boolean allowIpLiterals, List<String> allow, List<String> deny, boolean present) {
        this.allowIpLiterals = allowIpLiterals;
        this.allow = allow;
        this.deny = deny;
        this.present = present;
    }

    /** The ACL of an {@code m.room.server_acl} event's content. */
    public static ServerAcl fromContent(Map<String, ?> content) {
        Object literals = content.get("allow_ip_literals");
        return new ServerAcl(!(literals instanceof Boolean b) || b, patterns(content.get("allow")),
                patterns(content.get("deny")), true);
    }

    private static List<String> patterns(Object value) {
        if (!(value instanceof List<?> list)) {
            return List.of();
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (o instanceof String s) {
                out.add(s.toLowerCase(Locale.ROOT));
            }
        }
        return List.copyOf(out);
    }

    /** Whether the room has an ACL event at all. */
    public boolean present() {
        return present;
    }

    public boolean allows(String serverName) {
        return refusal(serverName).isEmpty();
    }

    /** Why the ACL denies this server ({@code host[:port]}), or empty when it allows it. */
    public Optional<String> refusal(String serverName) {
        if (!present) {
            return Optional.empty();
        }
        String host = hostOf(serverName).toLowerCase(Locale.ROOT);
        if (!allowIpLiterals && isIpLiteral(host)) {
            return Optional.of("it allows no IP literals (allow_ip_literals is false) and " + host + " is one");
        }
        for (String pattern : deny) {
            if (globMatches(pattern, host)) {
                return Optional.of(host + " matches its deny entry '" + pattern + "'");
            }
        }
        for (String pattern : allow) {
            if (globMatches(pattern, host)) {
                return Optional.empty();
            }
        }
        return Optional.of(allow.isEmpty() ? "its allow list is empty, which allows no server"
                : host + " matches none of its allow entries " + allow);
    }

    /**
     * The server name without its port: {@code [v6]} keeps its brackets; a name with several colons
     * and no brackets is not a valid server name, but is taken whole as an IPv6 literal.
     */
    static String hostOf(String serverName) {
        if (serverName.startsWith("[")) {
            int close = serverName.indexOf(']');
            return close < 0 ? serverName : serverName.substring(0, close + 1);
        }
        int colon = serverName.indexOf(':');
        if (colon >= 0 && serverName.indexOf(':', colon + 1) < 0) {
            return serverName.substring(0, colon);
        }
        return serverName;
    }

    /** IPv4 as the server-name grammar writes it (four groups of 1–3 digits), or any IPv6 literal. */
    static boolean isIpLiteral(String host) {
        if (host.startsWith("[") || host.indexOf(':') >= 0) {
            return true;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whole-string glob match, iterative with one backtrack point, so a pattern of many stars costs
     * O(pattern × name) rather than the exponential time a naive regex can take.
     */
    static boolean globMatches(String pattern, String name) {
        int p = 0;
        int n = 0;
        int star = -1;
        int starMatch = 0;
        while (n < name.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == name.charAt(n))) {
                p++;
                n++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                starMatch = n;
            } else if (star >= 0) {
                p = star + 1;
                n = ++starMatch;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    @Override
    public String toString() {
        return present ? "ServerAcl[allow=" + allow + ", deny=" + deny + ", allow_ip_literals=" + allowIpLiterals + "]"
                : "ServerAcl[none]";
    }
}
