-- Browsers that have signed in to an account (OWASP "device cookies"): a login from one is not
-- counted against the account's shared per-email limit, so others' guesses cannot lock the owner
-- out. token_hash is SHA-256 of the cookie's random token; the token itself is never stored.
CREATE TABLE login_devices (
    token_hash   BLOB PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
);
CREATE INDEX login_devices_user ON login_devices (user_id, last_used_at);
