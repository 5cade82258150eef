package org.vestibule.join;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Join settings.
 *
 * @param errcodeProfile which errcodes restricted joins answer with: {@code spec} (the released
 *                       spec, v1.2+) or {@code msc3083-draft} (the MSC text this project started
 *                       from, where "cannot verify" is 400 M_CANNOT_ALLOW)
 * @param partialState   join other servers' rooms with partial state (send_join v2
 *                       {@code omit_members=true}, MSC3706): the client's join returns once the
 *                       room's state without most member events is stored; the full state is
 *                       fetched in the background
 */
@ConfigurationProperties("vestibule.join")
public record JoinProperties(@DefaultValue("spec") ErrcodeProfile errcodeProfile,
                             @DefaultValue("false") boolean partialState) {

    public enum ErrcodeProfile {
        SPEC,
        MSC3083_DRAFT
    }
}
