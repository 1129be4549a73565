package org.fedsum.aggregator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Module boundaries of DESIGN.md §2 for this module, checked on its compiled main classes. */
class ArchitectureTest {
  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("org.fedsum.aggregator");

  @Test
  void aggregator_neverTrainsNorTouchesProviders() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "ai.djl..", "org.bouncycastle..", "org.conscrypt..", "org.fedsum.crypto.internal..")
        .allowEmptyShould(true)
        .because(
            "the aggregator never trains and reaches cryptography only through org.fedsum.crypto")
        .check(CLASSES);
  }

  @Test
  void packages_haveNoCycles() {
    slices()
        .matching("org.fedsum.aggregator.(**)")
        .should()
        .beFreeOfCycles()
        .allowEmptyShould(true)
        .check(CLASSES);
  }
}
