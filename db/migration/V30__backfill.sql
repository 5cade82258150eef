-- History older than what we held, fetched from other servers (spec server-server §Backfilling).

-- Backfilled events are placed in the graph (they have state) but are never news: they take their
-- stream orderings from this sequence, below zero and falling, so no sync token (s<n>, n >= 0) is
-- ever before them and /sync never shows them. /messages orders events by (depth, stream_ordering)
-- and so finds them where they belong in the room's history.
CREATE SEQUENCE events_backfill_ordering_seq INCREMENT BY -1 START WITH -1 MAXVALUE -1;

-- An outlier placed into the graph gets a fresh (positive) stream ordering, unless the statement
-- placing it chose one itself: a backfilled event's, from the sequence above.
DROP TRIGGER events_enter_stream ON events;
CREATE TRIGGER events_enter_stream BEFORE UPDATE OF outlier ON events
    FOR EACH ROW WHEN (OLD.outlier AND NOT NEW.outlier AND NEW.stream_ordering = OLD.stream_ordering)
    EXECUTE FUNCTION events_enter_stream();

-- Backfilled events wake no sync: nothing a sync shows changed.
CREATE OR REPLACE FUNCTION events_notify_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vestibule_stream', k) FROM (
        SELECT room_id AS k FROM new_rows WHERE NOT outlier AND stream_ordering > 0
        UNION
        SELECT state_key FROM new_rows WHERE NOT outlier AND stream_ordering > 0 AND type = 'm.room.member'
            AND state_key IS NOT NULL
    ) AS keys;
    RETURN NULL;
END $$;

CREATE INDEX events_room_topological ON events (room_id, depth, stream_ordering);

-- Backwards extremities (Synapse's word): events we lack, or hold only as outliers, that an event
-- in the graph names among its prev_events. Backfill starts from them; depth is the deepest such
-- successor's, which is where the missing history ends. Kept by the triggers below, so every way
-- an event enters the graph keeps it right without its writer knowing.
CREATE TABLE backward_extremities (
    room_id          text   NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    event_id         text   NOT NULL,
    depth            bigint NOT NULL,
    -- Backfills from here that did not bring the event: later ones wait longer (see Backfill).
    attempts         int    NOT NULL DEFAULT 0,
    last_attempt_ts  bigint,
    PRIMARY KEY (room_id, event_id)
);
CREATE INDEX backward_extremities_depth ON backward_extremities (room_id, depth);

-- A prev edge of an event in the graph whose prev event is not (yet) in it.
CREATE FUNCTION backward_extremities_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO backward_extremities (room_id, event_id, depth)
        SELECT e.room_id, NEW.prev_event_id, e.depth FROM events e
        WHERE e.event_id = NEW.event_id AND NOT e.outlier
          AND NOT EXISTS (SELECT 1 FROM events p WHERE p.event_id = NEW.prev_event_id AND NOT p.outlier)
        ON CONFLICT (room_id, event_id) DO UPDATE SET depth = greatest(backward_extremities.depth, excluded.depth);
    RETURN NULL;
END $$;
CREATE TRIGGER backward_extremities_add AFTER INSERT ON event_edges
    FOR EACH ROW EXECUTE FUNCTION backward_extremities_add();

-- An event entering the graph is no longer missing.
CREATE FUNCTION backward_extremities_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM backward_extremities WHERE room_id = NEW.room_id AND event_id = NEW.event_id;
    RETURN NULL;
END $$;
CREATE TRIGGER backward_extremities_remove AFTER INSERT OR UPDATE OF outlier ON events
    FOR EACH ROW WHEN (NOT NEW.outlier) EXECUTE FUNCTION backward_extremities_remove();

-- The graphs stored before this migration.
INSERT INTO backward_extremities (room_id, event_id, depth)
    SELECT e.room_id, ed.prev_event_id, max(e.depth) FROM event_edges ed JOIN events e ON e.event_id = ed.event_id
    WHERE NOT e.outlier
      AND NOT EXISTS (SELECT 1 FROM events p WHERE p.event_id = ed.prev_event_id AND NOT p.outlier)
    GROUP BY e.room_id, ed.prev_event_id;

-- The resident a remote join of ours went through: the first server to ask for the room's history.
CREATE TABLE room_join_servers (
    room_id        text   PRIMARY KEY REFERENCES rooms (room_id) ON DELETE CASCADE,
    server_name    text   NOT NULL,
    join_event_id  text   NOT NULL,
    joined_ts      bigint NOT NULL
);
