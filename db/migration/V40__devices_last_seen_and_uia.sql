-- Device management (client-server §Device Management): where and when each device was last seen,
-- written at most every couple of minutes per device rather than on every request.
ALTER TABLE devices ADD COLUMN last_seen_ip text;
ALTER TABLE devices ADD COLUMN last_seen_ts bigint;

-- User-interactive authentication sessions (client-server §User-Interactive Authentication API):
-- bound to the user and to the one operation they were started for, completed once a stage passes.
CREATE TABLE uia_sessions (
    session_id  text PRIMARY KEY,
    user_id     text    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    operation   text    NOT NULL,
    completed   boolean NOT NULL DEFAULT false,
    created_ts  bigint  NOT NULL
);
CREATE INDEX uia_sessions_created ON uia_sessions (created_ts);

-- Published room directory (client-server §Listing rooms): rooms.is_public (V2) says which rooms are
-- listed; the directory is read sorted by it.
CREATE INDEX rooms_public ON rooms (room_id) WHERE is_public;
