-- Rooms joined with partial state (send_join with omit_members, MSC3706): we hold the room's
-- state without most m.room.member events until the background resync fetches the full state
-- before our join. While a room is listed here, inbound events are checked against their own auth
-- events only, and our events go to the servers the resident named as well as those we know.
CREATE TABLE partial_state_rooms (
    room_id        text   PRIMARY KEY REFERENCES rooms (room_id) ON DELETE CASCADE,
    -- Our join: the full state is fetched as the state before this event.
    join_event_id  text   NOT NULL,
    -- The resident that answered send_join first, then its servers_in_room: where to resync from.
    servers        text[] NOT NULL,
    created_ts     bigint NOT NULL
);
