package org.fedsum.aggregator.store;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The store is plain blocking file I/O, called from worker threads: no Vert.x, no other aggregator
 * package.
 */
class StoreArchitectureTest {
  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("org.fedsum.aggregator.store");

  @Test
  void store_dependsNeitherOnVertxNorOnTheRestOfTheAggregator() {
    noClasses()
        .that()
        .resideInAPackage("org.fedsum.aggregator.store..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "io.netty..", "ai.djl..")
        .orShould()
        .dependOnClassesThat()
        .resideOutsideOfPackages(
            "org.fedsum.aggregator.store..",
            "org.fedsum.protocol..",
            "org.fedsum.crypto",
            "java..",
            "com.fasterxml.jackson..")
        .check(CLASSES);
  }
}
