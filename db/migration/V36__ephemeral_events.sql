-- Ephemeral events (spec client-server §Typing Notifications, §Receipts, §Read and unread markers,
-- §Presence; server-server §EDUs). What /sync reports takes its stream position from the events'
-- sequence, as everything /sync shows does (V8), and NOTIFY vestibule_stream on commit wakes the
-- long polls of every instance on the database.

-- Who is typing where, and until when. UNLOGGED: no WAL for what lasts seconds, shared by every
-- instance; after a crash PostgreSQL empties it, which only ends typing notifications early.
CREATE UNLOGGED TABLE typing (
    room_id       text    NOT NULL,
    user_id       text    NOT NULL,
    expires_ts    bigint  NOT NULL,
    -- Our users only: when the other servers in the room were last told (they forget a typer after
    -- 60 s, so a long timeout is told again).
    federated_ts  bigint,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX typing_expires ON typing (expires_ts);

-- Where each room's set of typing users last changed in the stream: an incremental sync shows the
-- whole set again for rooms whose set changed since its token.
CREATE UNLOGGED TABLE typing_stream (
    room_id          text   PRIMARY KEY,
    stream_ordering  bigint NOT NULL
);

CREATE FUNCTION typing_stream_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.stream_ordering := nextval('events_stream_ordering_seq');
    PERFORM pg_notify('vestibule_stream', NEW.room_id);
    RETURN NEW;
END $$;
CREATE TRIGGER typing_stream_position BEFORE INSERT OR UPDATE ON typing_stream
    FOR EACH ROW EXECUTE FUNCTION typing_stream_position();

-- Read receipts, ours and other servers' users': one event per (room, type, user, thread).
-- thread_id '' is an unthreaded receipt; m.read.private is seen by its own user only.
CREATE TABLE receipts (
    room_id          text   NOT NULL,
    receipt_type     text   NOT NULL,
    user_id          text   NOT NULL,
    thread_id        text   NOT NULL,
    event_id         text   NOT NULL,
    ts               bigint NOT NULL,
    stream_ordering  bigint NOT NULL,
    PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_room_stream ON receipts (room_id, stream_ordering);

CREATE FUNCTION receipts_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.stream_ordering := nextval('events_stream_ordering_seq');
    -- A private receipt wakes only its own user's syncs.
    PERFORM pg_notify('vestibule_stream', CASE WHEN NEW.receipt_type = 'm.read' THEN NEW.room_id ELSE NEW.user_id END);
    RETURN NEW;
END $$;
CREATE TRIGGER receipts_position BEFORE INSERT OR UPDATE ON receipts
    FOR EACH ROW EXECUTE FUNCTION receipts_position();

-- Presence of our users and of other servers' users who share a room with ours.
CREATE TABLE presence (
    user_id           text    PRIMARY KEY,
    -- Whether the user is ours (we time them out by their syncs) or another server's (by its EDUs).
    local             boolean NOT NULL,
    presence          text    NOT NULL,
    status_msg        text,
    last_active_ts    bigint  NOT NULL,
    currently_active  boolean NOT NULL,
    -- Our users: until when they are known to be connected: the end of their last sync, or the latest a
    -- sync in progress may end (offline some time after).
    -- Other servers' users: when their server last told us (offline after a long silence).
    last_seen_ts      bigint  NOT NULL,
    -- Our users: when the servers sharing a room with them were last told.
    federated_ts      bigint  NOT NULL DEFAULT 0,
    stream_ordering   bigint  NOT NULL
);
CREATE INDEX presence_stream ON presence (stream_ordering);

-- Only what clients see moves the stream (last_active_ts and the bookkeeping do not; clients compute
-- last_active_ago from it when they are told anything else).
CREATE FUNCTION presence_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.presence IS DISTINCT FROM OLD.presence OR NEW.status_msg IS DISTINCT FROM OLD.status_msg
            OR NEW.currently_active IS DISTINCT FROM OLD.currently_active THEN
        NEW.stream_ordering := nextval('events_stream_ordering_seq');
        PERFORM pg_notify('vestibule_stream', k) FROM (
            SELECT room_id AS k FROM room_memberships WHERE user_id = NEW.user_id AND membership = 'join'
            UNION SELECT NEW.user_id
        ) AS keys;
    ELSE
        NEW.stream_ordering := OLD.stream_ordering;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER presence_position BEFORE INSERT OR UPDATE ON presence
    FOR EACH ROW EXECUTE FUNCTION presence_position();
