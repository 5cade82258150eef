package org.vestibule.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The registry's flags, as the spec's room version pages and feature matrix give them. */
class RoomVersionsTests {

    @Test
    void listsVersionsOneToTwelve() {
        assertThat(RoomVersions.ids()).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");
        assertThat(RoomVersions.byId("13")).isEmpty();
        assertThat(RoomVersions.byId(null)).isEmpty();
    }

    @Test
    void featureMatrix() {
        for (RoomVersion v : RoomVersions.all()) {
            int n = Integer.parseInt(v.id());
            assertThat(v.knock()).as("knock v%s", n).isEqualTo(n >= 7);
            assertThat(v.restricted()).as("restricted v%s", n).isEqualTo(n >= 8);
            assertThat(v.knockRestricted()).as("knock_restricted v%s", n).isEqualTo(n >= 10);
            assertThat(v.strictCanonicalJson()).as("strict JSON v%s", n).isEqualTo(n >= 6);
            assertThat(v.integerPowerLevels()).as("integer PLs v%s", n).isEqualTo(n >= 10);
            assertThat(v.enforceKeyValidity()).as("key validity v%s", n).isEqualTo(n >= 5);
            assertThat(v.aliasesAuthRule()).as("aliases rule v%s", n).isEqualTo(n <= 5);
            assertThat(v.redactionAuthRule()).as("redaction rule v%s", n).isEqualTo(n <= 2);
            assertThat(v.creatorIsSender()).as("creator is sender v%s", n).isEqualTo(n >= 11);
            assertThat(v.roomIdIsCreateEventHash()).as("creators v%s", n).isEqualTo(n >= 12);
            assertThat(v.hasExplicitEventIds()).as("explicit IDs v%s", n).isEqualTo(n <= 2);
            assertThat(v.stateResolution()).as("state res v%s", n).isEqualTo(n == 1 ? RoomVersion.StateResolution.V1
                    : n == 12 ? RoomVersion.StateResolution.V2_1 : RoomVersion.StateResolution.V2);
        }
    }

    @Test
    void joinRulesPerVersion() {
        assertThat(RoomVersions.V7.supportsJoinRule("knock")).isTrue();
        assertThat(RoomVersions.V7.supportsJoinRule("restricted")).isFalse();
        assertThat(RoomVersions.V9.isRestrictedJoinRule("knock_restricted")).isFalse();
        assertThat(RoomVersions.V10.isRestrictedJoinRule("knock_restricted")).isTrue();
        assertThat(RoomVersions.V10.isKnockJoinRule("knock_restricted")).isTrue();
        assertThat(RoomVersions.V6.isKnockJoinRule("knock")).isFalse();
    }
}
