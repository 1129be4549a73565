package org.fedsum.crypto;

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
          .importPackages("org.fedsum.crypto");

  @Test
  void providers_onlyInsideInternal() {
    noClasses()
        .that()
        .resideOutsideOfPackage("org.fedsum.crypto.internal..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.bouncycastle..", "org.conscrypt..", "com.sun.jna..")
        .because(
            "Bouncy Castle, Conscrypt and the JNA binding of libsodium stay behind the crypto"
                + " module's internal package")
        .check(CLASSES);
  }

  @Test
  void crypto_isFreeOfFrameworks() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "ai.djl..", "com.fasterxml.jackson..")
        .because("crypto must not depend on Vert.x, DJL or Jackson")
        .check(CLASSES);
  }

  @Test
  void packages_haveNoCycles() {
    slices()
        .matching("org.fedsum.crypto.(**)")
        .should()
        .beFreeOfCycles()
        .allowEmptyShould(true)
        .check(CLASSES);
  }
}
