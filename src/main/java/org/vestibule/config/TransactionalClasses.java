package org.vestibule.config;

import org.springframework.aop.ClassFilter;
import org.springframework.aop.support.ClassFilters;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.Ordered;
import org.springframework.core.PriorityOrdered;
import org.springframework.transaction.config.TransactionManagementConfigUtils;
import org.springframework.transaction.interceptor.BeanFactoryTransactionAttributeSourceAdvisor;

/**
 * {@code @Transactional} is looked for on our classes only. Spring matches its transaction advisor
 * against every method of every bean as the bean is made, its own hundreds included, none of which
 * are annotated: ~90 ms of each start's main thread in annotation lookups. Every {@code @Transactional}
 * here is on a class under {@code org.vestibule}; Spring Data's repositories have transactions of
 * their own, from their factory, not from this advisor.
 */
@Configuration(proxyBeanMethods = false)
class TransactionalClasses {

    static final String PACKAGE = "org.vestibule.";

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static BeanPostProcessor transactionalClassesOnly() {
        return new OnlyOurs();
    }

    /**
     * Narrows the advisor before the first bean it would match: the advisor itself is made while the
     * post-processors are, before this one sees any bean, so it is fetched here rather than caught.
     */
    static final class OnlyOurs implements BeanPostProcessor, PriorityOrdered, BeanFactoryAware {

        private BeanFactory beans;
        private volatile boolean narrowed;

        @Override
        public void setBeanFactory(BeanFactory beans) {
            this.beans = beans;
        }

        @Override
        public Object postProcessBeforeInitialization(Object bean, String beanName) {
            if (!narrowed) {
                narrow();
            }
            return bean;
        }

        private synchronized void narrow() {
            if (narrowed) {
                return;
            }
            narrowed = true;
            if (beans.containsBean(TransactionManagementConfigUtils.TRANSACTION_ADVISOR_BEAN_NAME)
                    && beans.getBean(TransactionManagementConfigUtils.TRANSACTION_ADVISOR_BEAN_NAME)
                    instanceof BeanFactoryTransactionAttributeSourceAdvisor advisor) {
                ClassFilter ours = type -> type.getName().startsWith(PACKAGE);
                advisor.setClassFilter(ClassFilters.intersection(ours, advisor.getPointcut().getClassFilter()));
            }
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }
}
