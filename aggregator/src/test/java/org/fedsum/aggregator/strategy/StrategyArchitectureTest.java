package org.fedsum.aggregator.strategy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The package's promise in its package-info: pure math, no I/O, no Vert.x, no DJL. */
class StrategyArchitectureTest {
  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("org.fedsum.aggregator.strategy");

  @Test
  void strategies_arePureMath() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "java.io..",
            "java.nio.file..",
            "java.nio.channels..",
            "java.net..",
            "java.time..",
            "io.vertx..",
            "ai.djl..",
            "org.slf4j..")
        .because("server optimizers are pure functions of the model, the update and the state")
        .check(CLASSES);
  }

  @Test
  void strategies_dependOnNoOtherFedSumPackage() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.fedsum.crypto..", "org.fedsum.protocol..")
        .orShould()
        .dependOnClassesThat()
        .resideInAPackage("org.fedsum.aggregator")
        .because("the strategy package is a leaf: the coordinator calls it, not the reverse")
        .check(CLASSES);
  }
}
