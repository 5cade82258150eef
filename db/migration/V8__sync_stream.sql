-- /sync and /messages (spec client-server §Syncing): a client's position is a stream ordering, the
-- bigserial of events, and everything a sync must show carries one taken from that same sequence.

-- An event enters the stream clients see when it enters the room's graph: an outlier placed into
-- the graph later gets a fresh stream ordering, else a sync already past its old one would miss it.
CREATE FUNCTION events_enter_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.stream_ordering := nextval(pg_get_serial_sequence('events', 'stream_ordering'));
    RETURN NEW;
END $$;
CREATE TRIGGER events_enter_stream BEFORE UPDATE OF outlier ON events
    FOR EACH ROW WHEN (OLD.outlier AND NOT NEW.outlier) EXECUTE FUNCTION events_enter_stream();

-- Where each out-of-band invite or knock last changed in the stream; membership NULL once it is
-- gone (accepted, rejected, rescinded or refused), so an incremental sync can say so.
CREATE TABLE out_of_band_stream (
    room_id          text   NOT NULL,
    user_id          text   NOT NULL,
    membership       text,
    stream_ordering  bigint NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX out_of_band_stream_user ON out_of_band_stream (user_id, stream_ordering);

CREATE FUNCTION out_of_band_enter_stream() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    m text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
        m := NULL;
    ELSE
        r := NEW;
        m := NEW.membership;
    END IF;
    INSERT INTO out_of_band_stream (room_id, user_id, membership, stream_ordering)
        VALUES (r.room_id, r.user_id, m, nextval(pg_get_serial_sequence('events', 'stream_ordering')))
        ON CONFLICT (room_id, user_id) DO UPDATE
            SET membership = excluded.membership, stream_ordering = excluded.stream_ordering;
    PERFORM pg_notify('vestibule_stream', r.user_id);
    RETURN NULL;
END $$;
CREATE TRIGGER out_of_band_enter_stream AFTER INSERT OR UPDATE OR DELETE ON out_of_band_memberships
    FOR EACH ROW EXECUTE FUNCTION out_of_band_enter_stream();

-- Wakes long-polling syncs on every instance once the writing transaction commits (NOTIFY is
-- delivered at commit, identical payloads once per transaction): the room, and for member events
-- the user whose membership it is.
CREATE FUNCTION events_notify_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vestibule_stream', k) FROM (
        SELECT room_id AS k FROM new_rows WHERE NOT outlier
        UNION
        SELECT state_key FROM new_rows WHERE NOT outlier AND type = 'm.room.member' AND state_key IS NOT NULL
    ) AS keys;
    RETURN NULL;
END $$;
CREATE TRIGGER events_notify_stream_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify_stream();
CREATE TRIGGER events_notify_stream_update AFTER UPDATE ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify_stream();
