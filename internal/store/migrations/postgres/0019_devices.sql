-- Web Push (SPEC §16.3). An endpoint is one browser profile and belongs to one person at a time,
-- so it is unique across people; the keys are the browser's public ones (not secrets of ours).
CREATE TABLE push_subscriptions (
    id         TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     BYTEA NOT NULL,
    auth       BYTEA NOT NULL,
    user_agent TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, created_at);

-- A person's notification settings; no row means the defaults (push on, only when away).
CREATE TABLE push_prefs (
    user_id         BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    push            INTEGER NOT NULL,
    only_when_away  INTEGER NOT NULL
);

-- Event streams, one row each, so every replica knows whether a person had a studio tab open
-- at the moment a job ended: opened_at and closed_at bound it; seen_at is refreshed while it is
-- open, so a crashed replica's rows stop counting once they are stale. Rows are kept an hour.
CREATE TABLE open_streams (
    id       TEXT PRIMARY KEY,
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    instance TEXT NOT NULL,
    seen_at  BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX open_streams_user ON open_streams (user_id, seen_at);
CREATE INDEX open_streams_instance ON open_streams (instance);

-- A generation whose end was pushed (or decided not to be): the primary key makes the send at
-- most once, whichever replica or restart sees the end.
CREATE TABLE push_sent (
    generation_id TEXT PRIMARY KEY,
    sent_at       BIGINT NOT NULL
);
CREATE INDEX push_sent_at ON push_sent (sent_at);

-- Files shared to the studio from a device's share sheet (SPEC §16.2), kept 24 hours.
CREATE TABLE shared_uploads (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    width        INTEGER,
    height       INTEGER,
    name         TEXT,
    text         TEXT,
    storage      TEXT NOT NULL,
    storage_key  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX shared_uploads_user ON shared_uploads (user_id, created_at);
CREATE INDEX shared_uploads_expiry ON shared_uploads (expires_at);

-- A share made before signing in, kept 15 minutes under the SHA-256 of a random cookie token;
-- files holds the stashed objects (JSON), text the share's text.
CREATE TABLE share_stashes (
    token_hash BYTEA PRIMARY KEY,
    files      TEXT NOT NULL,
    text       TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX share_stashes_expiry ON share_stashes (expires_at);
