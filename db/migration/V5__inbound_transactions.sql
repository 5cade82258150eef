-- Answers to PUT /_matrix/federation/v1/send/{txnId}, so a retried transaction gets the same
-- answer without being processed twice.
CREATE TABLE federation_inbound_transactions (
    origin       text   NOT NULL,
    txn_id       text   NOT NULL,
    response     bytea  NOT NULL,
    received_ts  bigint NOT NULL,
    PRIMARY KEY (origin, txn_id)
);
