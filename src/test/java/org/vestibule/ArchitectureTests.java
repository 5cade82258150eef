package org.vestibule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The house rules of DESIGN.md that the compiler does not check. */
class ArchitectureTests {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.vestibule");

    @Test
    void theProtocolCoreIsPlainJava() {
        noClasses().that().resideInAnyPackage("org.vestibule.event..", "org.vestibule.auth..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta.persistence..",
                        "org.hibernate..", "tools.jackson..", "com.fasterxml.jackson..", "java.sql..")
                .because("event and auth are pure protocol code, unit-tested without Spring or a database")
                .check(CLASSES);
    }

    @Test
    void theCoreDependsOnNothingAboveIt() {
        noClasses().that().resideInAnyPackage("org.vestibule.event..", "org.vestibule.auth..")
                .should().dependOnClassesThat().resideInAnyPackage("org.vestibule.room..", "org.vestibule.join..",
                        "org.vestibule.federation..", "org.vestibule.clientapi..", "org.vestibule.keys..",
                        "org.vestibule.config..")
                .check(CLASSES);
    }

    @Test
    void noJackson2() {
        // Flyway drags Jackson 2 onto the classpath; Boot 4 code uses Jackson 3 only.
        noClasses().should().dependOnClassesThat().resideInAnyPackage("com.fasterxml.jackson.databind..")
                .check(CLASSES);
    }

    @Test
    void controllersDoNotTouchRepositoriesDirectly() {
        noClasses().that().haveSimpleNameEndingWith("Controller")
                .should().dependOnClassesThat().haveSimpleNameEndingWith("Entries")
                .orShould().dependOnClassesThat().haveNameMatching(".*\\.room\\.(Events|Rooms|ForwardExtremities)")
                .check(CLASSES);
    }
}
