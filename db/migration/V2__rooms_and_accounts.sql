-- Rooms as an event graph. Every event is stored once, as the canonical JSON bytes that its
-- signatures cover, with the columns we query on beside it.

CREATE TABLE rooms (
    room_id        text PRIMARY KEY,
    room_version   text    NOT NULL,
    creator        text,
    created_ts     bigint  NOT NULL,
    is_public      boolean NOT NULL DEFAULT false,
    -- Bumped by every write to the room's current state or extremities, under the room lock;
    -- in-memory caches compare it to know they are still right (several app instances may write).
    state_version  bigint  NOT NULL DEFAULT 0
);

-- State groups: the state at an event, stored as a delta on a previous group so that storage
-- grows with what changed. A group without prev_group holds the whole state.
CREATE TABLE state_groups (
    id          bigserial PRIMARY KEY,
    room_id     text    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    prev_group  bigint  REFERENCES state_groups (id),
    -- Deltas between this group and the last full snapshot.
    chain_depth int     NOT NULL,
    -- Number of state entries in the whole state this group stands for.
    state_size  int     NOT NULL
);

-- event_id NULL records that the key is absent from this group though present in prev_group.
CREATE TABLE state_group_entries (
    state_group bigint NOT NULL REFERENCES state_groups (id) ON DELETE CASCADE,
    type        text   NOT NULL,
    state_key   text   NOT NULL,
    event_id    text,
    PRIMARY KEY (state_group, type, state_key)
);

CREATE TABLE events (
    event_id          text PRIMARY KEY,
    room_id           text    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    stream_ordering   bigserial UNIQUE,
    type              text    NOT NULL,
    state_key         text,
    sender            text    NOT NULL,
    depth             bigint  NOT NULL,
    origin_server_ts  bigint  NOT NULL,
    received_ts       bigint  NOT NULL,
    -- The event in its room version's federation format, as canonical JSON (never jsonb: it
    -- refuses \u0000, and signatures cover these exact bytes).
    json              bytea   NOT NULL,
    -- Known only through another event's auth chain or a join's state: no state of its own.
    outlier           boolean NOT NULL DEFAULT false,
    -- Failed the auth rules on its auth events or on the state before it; never part of state.
    rejection_reason  text,
    -- Passed those but not the current state (spec: soft failure); kept out of extremities.
    soft_failed       boolean NOT NULL DEFAULT false,
    state_before      bigint REFERENCES state_groups (id),
    state_after       bigint REFERENCES state_groups (id)
);
CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
CREATE INDEX events_room_depth ON events (room_id, depth);
CREATE INDEX events_room_state ON events (room_id, type, state_key) WHERE state_key IS NOT NULL;

CREATE TABLE event_edges (
    event_id       text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    prev_event_id  text NOT NULL,
    PRIMARY KEY (event_id, prev_event_id)
);
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);

CREATE TABLE event_auth_edges (
    event_id       text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    auth_event_id  text NOT NULL,
    PRIMARY KEY (event_id, auth_event_id)
);

CREATE TABLE forward_extremities (
    room_id   text NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    event_id  text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, event_id)
);

-- The room's resolved current state.
CREATE TABLE current_state (
    room_id    text NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    type       text NOT NULL,
    state_key  text NOT NULL,
    event_id   text NOT NULL REFERENCES events (event_id),
    PRIMARY KEY (room_id, type, state_key)
);

-- Current membership of every user in every room, derived from current_state, indexed for
-- "is this user joined to room X" and "which rooms is this user in".
CREATE TABLE room_memberships (
    room_id     text NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    user_id     text NOT NULL,
    server_name text NOT NULL,
    membership  text NOT NULL,
    event_id    text NOT NULL REFERENCES events (event_id),
    sender      text NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_memberships_user ON room_memberships (user_id, membership);
CREATE INDEX room_memberships_server ON room_memberships (room_id, server_name) WHERE membership = 'join';

-- Local accounts.
CREATE TABLE users (
    user_id        text PRIMARY KEY,
    localpart      text    NOT NULL UNIQUE,
    password_hash  text,
    admin          boolean NOT NULL DEFAULT false,
    displayname    text,
    avatar_url     text,
    created_ts     bigint  NOT NULL,
    deactivated    boolean NOT NULL DEFAULT false
);

CREATE TABLE devices (
    user_id       text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id     text NOT NULL,
    display_name  text,
    created_ts    bigint NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

-- Only a SHA-256 of each token is kept, so a database dump does not hand out sessions.
CREATE TABLE access_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     text   NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id   text   NOT NULL,
    created_ts  bigint NOT NULL,
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- PUT /send/{txnId} idempotency: the same device and txnId give the same event.
CREATE TABLE client_transactions (
    user_id     text NOT NULL,
    device_id   text NOT NULL,
    txn_id      text NOT NULL,
    room_id     text NOT NULL,
    event_id    text NOT NULL,
    created_ts  bigint NOT NULL,
    PRIMARY KEY (user_id, device_id, room_id, txn_id)
);

-- Rooms a user has forgotten: hidden from them until they join again.
CREATE TABLE forgotten_rooms (
    user_id  text NOT NULL,
    room_id  text NOT NULL,
    PRIMARY KEY (user_id, room_id)
);

-- Nonces for Synapse-style shared-secret registration, single use.
CREATE TABLE registration_nonces (
    nonce       text PRIMARY KEY,
    created_ts  bigint NOT NULL
);
