package org.vestibule.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.aopalliance.aop.Advice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.interceptor.TransactionInterceptor;
import org.vestibule.join.ResidentJoins;
import org.vestibule.support.TestHomeservers;

/** The transaction advisor, narrowed to our classes, still wraps every bean that asks for transactions. */
class TransactionalClassesIntegrationTests {

    static final TestHomeservers servers = TestHomeservers.start(1);

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void everyBeanWithTransactionalMethodsIsWrappedInTransactions() {
        ConfigurableListableBeanFactory beans = servers.get(0).context().getBeanFactory();
        List<String> transactional = new ArrayList<>();
        for (String name : beans.getBeanDefinitionNames()) {
            if (!beans.containsSingleton(name) || beans.getBeanDefinition(name).isAbstract()) {
                continue;
            }
            Object bean = beans.getSingleton(name);
            if (bean == null) {
                continue;
            }
            Class<?> type = AopUtils.getTargetClass(bean);
            boolean asks = AnnotatedElementUtils.hasAnnotation(type, Transactional.class)
                    || Arrays.stream(type.getDeclaredMethods()).anyMatch(m -> AnnotatedElementUtils.hasAnnotation(m, Transactional.class));
            if (!asks) {
                continue;
            }
            transactional.add(type.getSimpleName());
            assertThat(bean).as("%s (%s) has @Transactional methods", name, type.getName()).isInstanceOf(Advised.class);
            assertThat(Arrays.stream(((Advised) bean).getAdvisors()).map(a -> a.getAdvice()).toList())
                    .as("%s's advice", name).anySatisfy(advice -> assertThat(advice).isInstanceOf(TransactionInterceptor.class));
        }
        assertThat(transactional).as("the services that ask for transactions")
                .contains("ResidentJoins", "EventPersister", "LocalEvents", "RoomCreator", "AccountService", "RoomActions");
    }

    @Test
    void sendJoinKeepsItsTransactionAttribute() throws Exception {
        ResidentJoins joins = servers.get(0).bean(ResidentJoins.class);
        Method sendJoin = AopUtils.getTargetClass(joins).getMethod("sendJoin", String.class, String.class, String.class,
                byte[].class, boolean.class);
        List<Advice> advice = Arrays.stream(((Advised) joins).getAdvisors()).map(a -> a.getAdvice()).toList();
        TransactionInterceptor interceptor = (TransactionInterceptor) advice.stream()
                .filter(TransactionInterceptor.class::isInstance).findFirst().orElseThrow();
        assertThat(interceptor.getTransactionAttributeSource().getTransactionAttribute(sendJoin, AopUtils.getTargetClass(joins)))
                .isNotNull();
    }
}
