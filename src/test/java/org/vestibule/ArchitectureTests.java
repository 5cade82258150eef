package org.vestibule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.springframework.boot.jackson.JacksonComponent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

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
    void topLevelPackagesAreFreeOfCycles() {
        slices().matching("org.vestibule.(*)..").should().beFreeOfCycles()
                .because("a package that imports one that imports it back cannot be read, changed or tested alone")
                .check(CLASSES);
    }

    /**
     * DESIGN.md's order: features on top, each owning its client and federation endpoints; below
     * them accounts; then the federation transport, the room graph and our keys; then the pure
     * rules and the protocol core. Every package imports only what lies below it.
     */
    @Test
    void everyPackageImportsOnlyWhatLiesBelowIt() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("features").definedBy("org.vestibule.clientapi..", "org.vestibule.join..",
                        "org.vestibule.invite..", "org.vestibule.directory..", "org.vestibule.profile..",
                        "org.vestibule.accountdata..", "org.vestibule.push..", "org.vestibule.voip..",
                        "org.vestibule.typing..", "org.vestibule.receipts..", "org.vestibule.presence..",
                        "org.vestibule.history..", "org.vestibule.media..")
                .layer("accounts").definedBy("org.vestibule.accounts..")
                .layer("federation").definedBy("org.vestibule.federation..")
                .layer("room").definedBy("org.vestibule.room..")
                .layer("keys").definedBy("org.vestibule.keys..")
                .layer("foundation").definedBy("org.vestibule.config..", "org.vestibule.error..",
                        "org.vestibule.ratelimit..")
                .layer("auth").definedBy("org.vestibule.auth..")
                .layer("event").definedBy("org.vestibule.event..")
                .whereLayer("features").mayOnlyBeAccessedByLayers("features")
                .whereLayer("accounts").mayOnlyBeAccessedByLayers("features")
                .whereLayer("federation").mayOnlyBeAccessedByLayers("features")
                .whereLayer("room").mayOnlyBeAccessedByLayers("features", "accounts", "federation")
                .whereLayer("keys").mayOnlyBeAccessedByLayers("features", "accounts", "federation", "room")
                .whereLayer("foundation").mayOnlyBeAccessedByLayers("features", "accounts", "federation", "room", "keys")
                .whereLayer("auth").mayOnlyBeAccessedByLayers("features", "accounts", "federation", "room", "keys",
                        "foundation")
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

    @Test
    void transactionsAndListenersAreNotAnnotations() {
        // Nothing here processes these (config.Transactions, config.NoEventListenerMethods): the
        // methods would silently run without a transaction, or never.
        noClasses().should().beAnnotatedWith(Transactional.class)
                .because("transactions are begun with the TransactionTemplate").check(CLASSES);
        noMethods().should().beAnnotatedWith(Transactional.class)
                .because("transactions are begun with the TransactionTemplate").check(CLASSES);
        noMethods().should().beMetaAnnotatedWith(EventListener.class).orShould().beAnnotatedWith(EventListener.class)
                .because("listeners implement ApplicationListener").check(CLASSES);
        // Nor are Jackson components gathered (config.NoJacksonComponents): one would never be used.
        noClasses().should().beAnnotatedWith(JacksonComponent.class)
                .because("JSON goes through maps and records").check(CLASSES);
    }

    @Test
    void repositoriesOfOursWorkThroughJdbcTemplate() {
        // Nothing wraps @Repository classes to translate JPA's exceptions (VestibuleApplication):
        // JdbcTemplate translates SQL errors into Spring's DataAccessException itself.
        noClasses().that().areAnnotatedWith(Repository.class)
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.persistence..", "org.hibernate..")
                .check(CLASSES);
    }
}
