-- Other servers' signing keys, as fetched from their /_matrix/key/v2/server (spec server-server
-- §Retrieving server keys) and checked against the document's self-signatures.
CREATE TABLE remote_server_keys (
    server_name     text   NOT NULL,
    key_id          text   NOT NULL,
    verify_key      bytea  NOT NULL CHECK (octet_length(verify_key) = 32),
    -- verify_keys: the lesser of the document's valid_until_ts and fetched_ts + 7 days (spec, room
    -- versions 5+); old_verify_keys: their expired_ts.
    valid_until_ts  bigint NOT NULL,
    -- Set for keys listed in old_verify_keys: they verify events only, never requests.
    expired_ts      bigint,
    fetched_ts      bigint NOT NULL,
    -- The signed document the key was last seen in, as canonical JSON: notary answers repeat it
    -- with the origin's signature intact.
    key_json        bytea  NOT NULL,
    PRIMARY KEY (server_name, key_id)
);
