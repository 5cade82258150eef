package org.vestibule.federation;

import java.util.Map;

/**
 * A feature that takes one kind of EDU out of inbound {@code /send} transactions (spec
 * server-server §EDUs): typing, receipts, presence. Federation hands them over without knowing the
 * features; each checks what it is given (the origin is authenticated, the content is not).
 */
public interface EduReceiver {

    /** The {@code edu_type} this receiver takes, e.g. {@code m.typing}. */
    String eduType();

    /** Takes one EDU's content from the origin server; ignores what does not check out. */
    void receive(String origin, Map<String, Object> content);
}
