package org.fedsum.silo;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameStartingWith;
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
          .importPackages("org.fedsum.silo");

  @Test
  void silo_touchesNoProviders() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.bouncycastle..", "org.conscrypt..", "org.fedsum.crypto.internal..")
        .allowEmptyShould(true)
        .because("the silo reaches cryptography only through org.fedsum.crypto")
        .check(CLASSES);
  }

  @Test
  void packages_haveNoCycles() {
    slices()
        .matching("org.fedsum.silo.(**)")
        .should()
        .beFreeOfCycles()
        .allowEmptyShould(true)
        .check(CLASSES);
  }

  @Test
  void djl_onlyInTrainingAndItsBenchmark() {
    noClasses()
        .that()
        .resideOutsideOfPackages("org.fedsum.silo.training..", "org.fedsum.silo.bench..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("ai.djl..")
        .because(
            "DJL is confined to org.fedsum.silo.training (DESIGN.md §2, §8); the epoch benchmark"
                + " writes the same training directly against DJL to compare")
        .check(CLASSES);
  }

  @Test
  void nothingDependsOnTheBenchmarks() {
    noClasses()
        .that()
        .resideOutsideOfPackage("org.fedsum.silo.bench..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.fedsum.silo.bench..")
        .because("benchmarks are run by fedsum bench, never by the silo node")
        .check(CLASSES);
  }

  @Test
  void trainingAndData_knowNothingOfTransportProtocolOrCryptography() {
    noClasses()
        .that()
        .resideInAnyPackage("org.fedsum.silo.training..", "org.fedsum.silo.data..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "org.fedsum.protocol..", "org.fedsum.crypto..")
        .because("training hands over a plain update; masking and transport sit outside it")
        .check(CLASSES);
  }

  @Test
  void silo_usesNoServerCode() {
    noClasses()
        .should()
        .dependOnClassesThat(
            resideInAPackage("org.fedsum.aggregator..")
                .or(
                    resideInAPackage("io.vertx.ext.web..")
                        .and(not(resideInAPackage("io.vertx.ext.web.client.."))))
                .or(resideInAPackage("io.vertx..").and(simpleNameStartingWith("HttpServer"))))
        .allowEmptyShould(true)
        .because("silos only open outbound connections (DESIGN.md §1)")
        .check(CLASSES);
  }
}
