package org.vestibule.federation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Room EDUs from an origin the room's server ACL denies (spec server-server §Server ACLs). */
class RoomEdusTests {

    final Predicate<String> onlyGood = "!good:x"::equals;

    @Test
    @DisplayName("typing in a denied room is dropped; in an allowed room kept")
    void typing() {
        Map<String, Object> denied = Map.of("edu_type", "m.typing", "content", Map.of("room_id", "!bad:x",
                "user_id", "@u:o", "typing", true));
        Map<String, Object> allowed = Map.of("edu_type", "m.typing", "content", Map.of("room_id", "!good:x",
                "user_id", "@u:o", "typing", true));
        assertThat(RoomEdus.allowed(List.of(denied, allowed), onlyGood)).containsExactly(allowed);
    }

    @Test
    @DisplayName("receipts lose the denied rooms; one with only denied rooms is dropped")
    void receipts() {
        Map<String, Object> mixed = Map.of("edu_type", "m.receipt", "content", Map.of("!bad:x", Map.of(),
                "!good:x", Map.of("m.read", Map.of())));
        Map<String, Object> onlyBad = Map.of("edu_type", "m.receipt", "content", Map.of("!bad:x", Map.of()));
        List<Map<String, Object>> kept = RoomEdus.allowed(List.of(mixed, onlyBad), onlyGood);
        assertThat(kept).hasSize(1);
        assertThat(kept.get(0).get("content")).isEqualTo(Map.of("!good:x", Map.of("m.read", Map.of())));
    }

    @Test
    @DisplayName("EDUs that name no room pass")
    void others() {
        Map<String, Object> presence = Map.of("edu_type", "m.presence", "content", Map.of("push", List.of()));
        Map<String, Object> devices = Map.of("edu_type", "m.device_list_update", "content", Map.of("user_id", "@u:o"));
        assertThat(RoomEdus.allowed(List.of(presence, devices, "not an object"), onlyGood))
                .containsExactly(presence, devices);
    }
}
