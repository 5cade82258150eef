-- EDUs queued for other servers (PUT /_matrix/federation/v1/send/{txnId}, at most 100 a transaction).
-- One row per destination and key (a room's receipt of one user and thread, a user's typing in a
-- room, a user's presence): a newer EDU replaces the one not yet sent. version orders them and
-- tells a row sent from its replacement, so a replacement queued while a transaction is on its way
-- is not deleted with it.
CREATE SEQUENCE federation_edu_versions;

-- Receipts: delivered reliably, kept across restarts until the destination acknowledges them.
CREATE TABLE federation_outbound_edus (
    destination  text   NOT NULL,
    edu_key      text   NOT NULL,
    edu_type     text   NOT NULL,
    content      bytea  NOT NULL,
    version      bigint NOT NULL DEFAULT nextval('federation_edu_versions'),
    expires_ts   bigint,
    PRIMARY KEY (destination, edu_key)
);
CREATE INDEX federation_outbound_edus_version ON federation_outbound_edus (destination, version);

-- Typing and presence: best effort, UNLOGGED (lost in a crash), dropped once stale.
CREATE UNLOGGED TABLE federation_outbound_ephemeral_edus (
    destination  text   NOT NULL,
    edu_key      text   NOT NULL,
    edu_type     text   NOT NULL,
    content      bytea  NOT NULL,
    version      bigint NOT NULL DEFAULT nextval('federation_edu_versions'),
    expires_ts   bigint,
    PRIMARY KEY (destination, edu_key)
);
CREATE INDEX federation_outbound_ephemeral_edus_version ON federation_outbound_ephemeral_edus (destination, version);
