-- Single sign-on (SPEC §12.1): one identity (issuer, subject) links to at most one account and
-- one account to at most one identity; accounts are never matched by email.
CREATE TABLE user_identities (
	user_id   INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	issuer    TEXT NOT NULL,
	subject   TEXT NOT NULL,
	linked_at INTEGER NOT NULL,
	UNIQUE (issuer, subject)
);

-- A sign-in or link in progress: the browser's flow cookie holds a random id whose hash keys the
-- row, so the flow works on every replica and is single-use (the callback deletes the row).
CREATE TABLE oidc_flows (
	id_hash    TEXT PRIMARY KEY,
	state      TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	verifier   TEXT NOT NULL,
	invite     TEXT NOT NULL DEFAULT '',
	user_id    INTEGER, -- set for a link: the account that started it
	expires_at INTEGER NOT NULL
);
CREATE INDEX oidc_flows_expires ON oidc_flows(expires_at);

-- Policies (SPEC §12.2) an admin assigns to people.
CREATE TABLE policies (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL,
	name_key       TEXT NOT NULL UNIQUE, -- the name lower-cased: unique whatever the case
	forced_params  TEXT NOT NULL DEFAULT '{}',
	allowed_models TEXT, -- a JSON array, NULL for every model
	blocked_terms  TEXT NOT NULL DEFAULT '[]',
	hide_flagged   INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
ALTER TABLE users ADD COLUMN policy_id TEXT REFERENCES policies(id);
CREATE INDEX users_policy ON users(policy_id);

-- fal flagged this output (has_nsfw_concepts): kept from the result (outputs) to the asset.
ALTER TABLE outputs ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
