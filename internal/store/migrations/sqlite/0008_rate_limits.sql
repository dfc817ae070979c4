-- Shared login/sign-up rate-limit counters, so the limits hold across replicas on one database.
-- key_hash is SHA-256 of the key (it contains an email or an IP, never stored as such); a row
-- is one fixed window and is swept once expires_at has passed.
CREATE TABLE rate_limits (
    key_hash     BLOB PRIMARY KEY,
    hits         INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX rate_limits_expires ON rate_limits (expires_at);
