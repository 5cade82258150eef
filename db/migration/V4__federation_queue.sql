-- The durable per-destination queue of PDUs to send (PUT /_matrix/federation/v1/send/{txnId}).
-- Rows are written in the transaction that stores the event, and deleted once the destination
-- has acknowledged them, so nothing is lost across restarts.
CREATE TABLE federation_outbound_pdus (
    id           bigserial PRIMARY KEY,
    destination  text   NOT NULL,
    event_id     text   NOT NULL,
    room_id      text   NOT NULL,
    queued_ts    bigint NOT NULL
);
CREATE INDEX federation_outbound_pdus_destination ON federation_outbound_pdus (destination, id);

-- Per-destination retry state, and a lease so that only one app instance sends to a
-- destination at a time.
CREATE TABLE federation_destinations (
    destination  text PRIMARY KEY,
    retry_at_ts  bigint NOT NULL DEFAULT 0,
    backoff_ms   bigint NOT NULL DEFAULT 0,
    failures     int    NOT NULL DEFAULT 0,
    last_error   text,
    lease_owner  text,
    lease_until  bigint NOT NULL DEFAULT 0
);
