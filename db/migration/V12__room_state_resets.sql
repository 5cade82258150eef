-- A room whose state was replaced without a new timeline event (a partial-state join's resync
-- installing the full state): incremental syncs past this position send that room's whole state,
-- else clients would never learn of the members the partial state lacked.
CREATE TABLE room_state_resets (
    room_id          text   PRIMARY KEY REFERENCES rooms (room_id) ON DELETE CASCADE,
    stream_ordering  bigint NOT NULL
);

CREATE FUNCTION room_state_resets_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vestibule_stream', NEW.room_id);
    RETURN NULL;
END $$;
CREATE TRIGGER room_state_resets_notify AFTER INSERT OR UPDATE ON room_state_resets
    FOR EACH ROW EXECUTE FUNCTION room_state_resets_notify();
