-- Filters clients upload (spec client-server §Filtering), kept as the canonical JSON they sent.
CREATE TABLE user_filters (
    filter_id   bigserial PRIMARY KEY,
    user_id     text  NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    filter_json bytea NOT NULL
);
CREATE INDEX user_filters_user ON user_filters (user_id);
