package org.fedsum.audit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** An auditor runs the audit without the aggregator or a silo node: it must not need them. */
class ArchitectureTest {
  private static final JavaClasses AUDIT =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("org.fedsum.audit");

  @Test
  void audit_dependsOnNeitherServiceNorTraining() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.fedsum.aggregator..", "org.fedsum.silo..", "io.vertx..", "ai.djl..")
        .check(AUDIT);
  }

  @Test
  void reportAndLineage_doNotDependOnTheCommandLine() {
    noClasses()
        .that()
        .resideOutsideOfPackage("org.fedsum.audit.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("picocli..", "org.fedsum.audit.cli..")
        .check(AUDIT);
  }
}
