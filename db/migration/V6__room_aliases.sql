-- Room aliases hosted by this server (#localpart:our.server -> room ID), client-server
-- §Room aliases. Aliases of other servers are never stored: they are asked for over federation.
CREATE TABLE room_aliases (
    alias       text PRIMARY KEY,
    room_id     text   NOT NULL,
    -- Who made the alias: they may delete it (as may admins and those who may set m.room.canonical_alias).
    creator     text   NOT NULL,
    created_ts  bigint NOT NULL
);
CREATE INDEX room_aliases_room ON room_aliases (room_id);
