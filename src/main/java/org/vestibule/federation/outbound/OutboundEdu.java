package org.vestibule.federation.outbound;

import java.time.Duration;
import java.util.Map;

/**
 * An EDU to send to other servers (spec server-server §EDUs). A newer EDU with the same key
 * replaces one of a destination not yet sent: only a user's latest typing state in a room, latest
 * presence or latest receipt per room and thread matters.
 *
 * @param type     its {@code edu_type}
 * @param key      what it is the latest of, e.g. {@code m.typing <room> <user>}
 * @param reliable kept until the destination acknowledges it, across restarts (receipts); else best
 *                 effort (typing, presence): lost in a crash, dropped once older than {@code ttl}
 * @param ttl      how long it is worth sending; null for no limit
 */
public record OutboundEdu(String type, String key, Map<String, Object> content, boolean reliable, Duration ttl) {

    public static OutboundEdu reliable(String type, String key, Map<String, Object> content) {
        return new OutboundEdu(type, key, content, true, null);
    }

    public static OutboundEdu bestEffort(String type, String key, Map<String, Object> content, Duration ttl) {
        return new OutboundEdu(type, key, content, false, ttl);
    }
}
