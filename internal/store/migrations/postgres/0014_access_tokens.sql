-- Personal access tokens (SPEC §11). secret_hash is SHA-256 of the secret; the secret itself is
-- never stored. A revoked token keeps its row (revoked_at set) so its spend stays under its id.
CREATE TABLE access_tokens (
    id              TEXT PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    secret_hash     BYTEA NOT NULL UNIQUE,
    prefix          TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    models_json     TEXT,
    monthly_cap_usd DOUBLE PRECISION,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    last_used_at    BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX access_tokens_user ON access_tokens (user_id, created_at DESC);

-- The token a generation was made through (NULL: the browser), and its name at submit time.
ALTER TABLE generations ADD COLUMN token_id TEXT;
ALTER TABLE generations ADD COLUMN token_name TEXT;
-- A token's cap and rate limit read its own generations.
CREATE INDEX generations_token ON generations (token_id, created_at) WHERE token_id IS NOT NULL;
