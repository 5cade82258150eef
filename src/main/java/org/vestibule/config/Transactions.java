package org.vestibule.config;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Transactions are begun in code, with the {@link TransactionTemplate}, not by proxies around beans
 * with {@code @Transactional} methods: Boot's transaction auto-configuration is left out, so no
 * advisor is made, matched against the methods of every bean as it is made (~90 ms of each start's
 * main thread) or wrapped around any. Spring Data's repositories get their transactions from their
 * own factory, not from that advisor.
 */
@Configuration(proxyBeanMethods = false)
class Transactions {

    @Bean
    TransactionTemplate transactionTemplate(PlatformTransactionManager transactions) {
        return new TransactionTemplate(transactions);
    }
}
