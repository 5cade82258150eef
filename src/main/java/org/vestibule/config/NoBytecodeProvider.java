package org.vestibule.config;

import org.hibernate.boot.registry.StandardServiceRegistryBuilder;
import org.hibernate.bytecode.internal.none.BytecodeProviderImpl;
import org.hibernate.bytecode.spi.BytecodeProvider;
import org.hibernate.service.spi.ServiceContributor;

/**
 * Gives Hibernate its no-op bytecode provider. No entity has a lazy association, so nothing needs
 * a runtime proxy, and the build leaves ByteBuddy out (about 900 classes fewer to load and keep in
 * memory). Without this Hibernate would look the ByteBuddy provider up and fail on its absence.
 */
public final class NoBytecodeProvider implements ServiceContributor {

    @Override
    public void contribute(StandardServiceRegistryBuilder registry) {
        registry.addService(BytecodeProvider.class, new BytecodeProviderImpl());
    }
}
