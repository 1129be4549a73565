package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrivacySpendTest {

  @Test
  void enforcedEpsilon_isTheLargerOfBoth() {
    assertThat(new PrivacySpend(3, 4, 1e-5, "silo").enforcedEpsilon()).isEqualTo(4.0);
    assertThat(new PrivacySpend(5, 4, 1e-5, "silo").enforcedEpsilon()).isEqualTo(5.0);
  }

  @Test
  void toString_namesTheUnit() {
    assertThat(new PrivacySpend(3, 4, 1e-5, PrivacySpend.UNIT_SILO).toString())
        .contains("epsilonGdp=3.0", "epsilonRdp=4.0", "unit=silo");
  }

  @Test
  void describeUnit_namesBothUnits_andRefusesOthers() {
    assertThat(PrivacySpend.describeUnit(PrivacySpend.UNIT_SILO))
        .isEqualTo("one silo's whole update in one round");
    assertThat(PrivacySpend.describeUnit(PrivacySpend.UNIT_RECORD)).contains("one record");
    assertThatThrownBy(() -> PrivacySpend.describeUnit("patient"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unit")
        .hasMessageContaining("patient");
  }

  @Test
  void constructor_invalidFields_throwNamingThem() {
    assertThatThrownBy(() -> new PrivacySpend(-1, 0, 1e-5, "silo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epsilonGdp")
        .hasMessageContaining("-1.0");
    assertThatThrownBy(() -> new PrivacySpend(0, Double.NaN, 1e-5, "silo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epsilonRdp")
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> new PrivacySpend(0, 0, 0, "silo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delta");
    assertThatThrownBy(() -> new PrivacySpend(0, 0, 1e-5, " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unit");
    assertThatThrownBy(() -> new PrivacySpend(0, 0, 1e-5, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unit");
  }
}
