package org.vestibule.keys;

import java.util.Optional;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.stereotype.Component;
import org.vestibule.event.VerifyKey;

/** TEMPORARY until remote key fetching lands: resolves only our own keys. */
@Component
@ConditionalOnMissingBean(value = KeyResolver.class, ignored = OwnKeysOnlyResolver.class)
class OwnKeysOnlyResolver implements KeyResolver {

    private final ServerKeyring keyring;

    OwnKeysOnlyResolver(ServerKeyring keyring) {
        this.keyring = keyring;
    }

    @Override
    public Optional<VerifyKey> key(String server, String keyId, long validAtTs) {
        if (keyring.isOurs(server) && keyring.signingKey().keyId().equals(keyId)) {
            return Optional.of(keyring.signingKey().verifyKey());
        }
        return Optional.empty();
    }
}
