-- Our own ed25519 signing keys. The seed is secret: it never leaves this table but to sign.
CREATE TABLE server_signing_keys (
    key_id      text PRIMARY KEY,
    seed        bytea  NOT NULL CHECK (octet_length(seed) = 32),
    created_ts  bigint NOT NULL,
    -- Set when the key is retired; it is then listed in old_verify_keys.
    expired_ts  bigint
);
