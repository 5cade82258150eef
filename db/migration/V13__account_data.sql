-- Account data (spec client-server §Client Config): per user, global (room_id '') or per room, one
-- JSON object per type, kept as Jackson writes it (text: tags' order is a fraction, which canonical
-- JSON has not; jsonb would refuse \u0000). Each change takes a stream position from the events'
-- sequence, so /sync reports it with the one token it has, and wakes the user's long polls.
CREATE TABLE account_data (
    user_id          text   NOT NULL,
    room_id          text   NOT NULL DEFAULT '',
    type             text   NOT NULL,
    content          text   NOT NULL,
    stream_ordering  bigint NOT NULL,
    PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_stream ON account_data (user_id, stream_ordering);

CREATE FUNCTION account_data_enter_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.stream_ordering := nextval(pg_get_serial_sequence('events', 'stream_ordering'));
    RETURN NEW;
END $$;
CREATE TRIGGER account_data_enter_stream BEFORE INSERT OR UPDATE ON account_data
    FOR EACH ROW EXECUTE FUNCTION account_data_enter_stream();

CREATE FUNCTION account_data_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vestibule_stream', NEW.user_id);
    RETURN NULL;
END $$;
CREATE TRIGGER account_data_notify AFTER INSERT OR UPDATE ON account_data
    FOR EACH ROW EXECUTE FUNCTION account_data_notify();
