package io.stowage;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds the arrows of the layout one way: node → iscsi → scsi → volume ← rados (docs/architecture.md).
 * It runs here because target-server's test classpath holds the main classes of every module of ours; test
 * classes are left out (a test may reach across layers to set things up).
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.stowage");
    }

    /** A rule over no classes proves nothing: every layer must be on the classpath this test reads. */
    @Test
    void seesEveryModule() {
        for (String pkg : List.of("io.stowage.node", "io.stowage.iscsi", "io.stowage.scsi", "io.stowage.volume",
                "io.stowage.volume.engine", "io.stowage.volume.store", "io.stowage.rados")) {
            assertTrue(classes.stream().anyMatch(c -> c.getPackageName().startsWith(pkg)), "no classes of " + pkg);
        }
    }

    @Test
    void layersDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("node").definedBy("io.stowage.node..")
                .layer("iscsi").definedBy("io.stowage.iscsi..")
                .layer("scsi").definedBy("io.stowage.scsi..")
                .layer("volume").definedBy("io.stowage.volume..")
                .layer("rados").definedBy("io.stowage.rados..")
                .whereLayer("node").mayNotBeAccessedByAnyLayer()
                .whereLayer("iscsi").mayOnlyBeAccessedByLayers("node")
                .whereLayer("scsi").mayOnlyBeAccessedByLayers("iscsi", "node")
                .whereLayer("rados").mayOnlyBeAccessedByLayers("node")
                .whereLayer("volume").mayOnlyBeAccessedByLayers("scsi", "iscsi", "node", "rados")
                .check(classes);
    }

    /** The protocol layers see a volume only through its block interface, never the engine behind it. */
    @Test
    void protocolLayersSeeNoEngineClasses() {
        noClasses().that().resideInAnyPackage("io.stowage.iscsi..", "io.stowage.scsi..")
                .should().dependOnClassesThat().resideInAnyPackage("io.stowage.volume.engine..",
                        "io.stowage.volume.log..", "io.stowage.volume.store..", "io.stowage.rados..")
                .check(classes);
    }

    /** A backend implements the store contracts; it knows nothing of the engine that uses them. */
    @Test
    void radosSeesOnlyTheStoreContracts() {
        noClasses().that().resideInAPackage("io.stowage.rados..")
                .should().dependOnClassesThat(resideInAPackage("io.stowage..")
                        .and(not(resideInAnyPackage("io.stowage.rados..", "io.stowage.volume",
                                "io.stowage.volume.store"))))
                .check(classes);
    }

    /** The {@code stowage} CLI is a client of the admin API: it reaches the node over HTTP, never its layers. */
    @Test
    void theCliIsOnlyAClientOfTheAdminApi() {
        noClasses().that().resideInAPackage("io.stowage.node.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("io.stowage.iscsi..", "io.stowage.scsi..",
                        "io.stowage.volume..", "io.stowage.rados..", "io.stowage.node.catalogue..")
                .check(classes);
    }

    @Test
    void noCyclesBetweenTopLevelPackages() {
        slices().matching("io.stowage.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching("io.stowage.(**)").should().beFreeOfCycles().check(classes);
    }
}
