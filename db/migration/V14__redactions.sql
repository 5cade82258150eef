-- Redactions (spec client-server §Redactions, rooms v3+ "Handling redactions"): which event each
-- redaction redacts, and whether it took effect. A redaction may arrive before the event it names;
-- it is applied when both are here and it is valid. Applying one rewrites the redacted event's
-- stored JSON to its redacted form (the original is not kept), and clients see redacted_because.
CREATE TABLE redactions (
    redaction_id  text    PRIMARY KEY,
    redacts       text    NOT NULL,
    room_id       text    NOT NULL,
    applied       boolean NOT NULL DEFAULT false
);
CREATE INDEX redactions_redacts ON redactions (redacts);
