-- Every instance keeps rooms' current state in memory and trusts it without asking the database
-- while it hears of every change: a committed new state_version is announced as 'version room_id'.
CREATE FUNCTION rooms_notify_state_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vestibule_state', NEW.state_version || ' ' || NEW.room_id);
    RETURN NULL;
END $$;
CREATE TRIGGER rooms_notify_state_version AFTER UPDATE OF state_version ON rooms
    FOR EACH ROW WHEN (OLD.state_version IS DISTINCT FROM NEW.state_version)
    EXECUTE FUNCTION rooms_notify_state_version();
