package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class SiteIdentityTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "0",
        "silo-1",
        "hospital.north_wing",
        "a123456789012345678901234567890123456789012345678901234567890bc"
      })
  void create_validSiteId_accepted(String siteId) {
    assertThat(new SiteIdentity(SiteRole.SILO, siteId).siteId()).isEqualTo(siteId);
    assertThat(SiteIdentity.isValidSiteId(siteId)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "Silo-1",
        "-silo",
        ".silo",
        "_silo",
        "silo:1",
        "silo 1",
        "silo/1",
        "silö",
        "a1234567890123456789012345678901234567890123456789012345678901bcd"
      })
  void create_invalidSiteId_throws(String siteId) {
    assertThatThrownBy(() -> new SiteIdentity(SiteRole.SILO, siteId))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("site id must match [a-z0-9][a-z0-9._-]{0,62}");
    assertThat(SiteIdentity.isValidSiteId(siteId)).isFalse();
  }

  @Test
  void create_nulls_throw() {
    assertThatThrownBy(() -> new SiteIdentity(null, "a")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new SiteIdentity(SiteRole.SILO, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void uri_eachRole_usesLowerCaseSegment() {
    assertThat(new SiteIdentity(SiteRole.SILO, "hospital-a").uri())
        .isEqualTo("urn:fedsum:silo:hospital-a");
    assertThat(new SiteIdentity(SiteRole.AGGREGATOR, "central").uri())
        .isEqualTo("urn:fedsum:aggregator:central");
    assertThat(new SiteIdentity(SiteRole.OPERATOR, "ops").uri())
        .isEqualTo("urn:fedsum:operator:ops");
  }

  @ParameterizedTest
  @EnumSource(SiteRole.class)
  void fromUri_ofUri_givesSameIdentity(SiteRole role) throws GeneralSecurityException {
    SiteIdentity identity = new SiteIdentity(role, "site-7.b");

    assertThat(SiteIdentity.fromUri(identity.uri())).isEqualTo(identity);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "urn:fedsum:silo",
        "urn:fedsum:silo:",
        "urn:fedsum::a",
        "urn:fedsum:Silo:a",
        "URN:fedsum:silo:a",
        "urn:FedSum:silo:a",
        "urn:fedsum:admin:a",
        "urn:fedsum:silo:a:b",
        "urn:fedsum:silo:A",
        "urn:fedsum:silo:a ",
        "https://silo.example.org/"
      })
  void fromUri_malformed_refused(String uri) {
    assertThatThrownBy(() -> SiteIdentity.fromUri(uri))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("identity URI");
  }

  @Test
  void fromUri_controlCharacters_escapedInMessage() {
    assertThatThrownBy(() -> SiteIdentity.fromUri("urn:fedsum:silo:a\nFAKE LOG LINE"))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("a\\u000aFAKE")
        .hasMessageNotContaining("\n");
  }

  @Test
  void fromUri_longInput_shortenedInMessage() {
    String uri = "x".repeat(10_000);

    assertThatThrownBy(() -> SiteIdentity.fromUri(uri))
        .isInstanceOf(GeneralSecurityException.class)
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(200));
  }
}
