-- Invites and knocks of our users in rooms this server is not in (spec server-server §Inviting
-- to a room, §Knocking upon a room, §Leaving Rooms): we have none of the room's graph, only the
-- membership event, the stripped state the other server gave us to show the user, and the
-- servers through which to join the room or to leave it again (make_leave / send_leave).
-- Once this server is in the room, room_memberships is what counts.
CREATE TABLE out_of_band_memberships (
    room_id         text   NOT NULL,
    user_id         text   NOT NULL,
    membership      text   NOT NULL,
    event_id        text   NOT NULL,
    sender          text   NOT NULL,
    room_version    text   NOT NULL,
    -- The event as canonical JSON, with every signature it carries.
    event_json      bytea  NOT NULL,
    -- JSON array of stripped state events: {type, state_key, content, sender}.
    stripped_state  bytea  NOT NULL,
    -- JSON array of server names, the most useful first.
    servers         bytea  NOT NULL,
    updated_ts      bigint NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX out_of_band_memberships_user ON out_of_band_memberships (user_id);
