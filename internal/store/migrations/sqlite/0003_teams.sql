-- Teams (SPEC §6): roles, disabled accounts, invites, one-time password-reset links, the audit log.

ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE users ADD COLUMN disabled_at INTEGER; -- NULL: the account may log in
ALTER TABLE users ADD COLUMN last_seen_at INTEGER; -- the last login or session use (hourly)
-- An instance that already has accounts: its first one becomes the admin.
UPDATE users SET role = 'admin' WHERE id = (SELECT min(id) FROM users);
-- The first-admin claim: whoever inserts this row in their sign-up transaction is the admin.
INSERT INTO meta (key, value) SELECT 'first_admin_claimed', '1' WHERE EXISTS (SELECT 1 FROM users);

CREATE TABLE invites (
	id          INTEGER PRIMARY KEY,
	token_hash  BLOB NOT NULL UNIQUE, -- SHA-256 of the token; the token itself is never stored
	email       TEXT NOT NULL DEFAULT '', -- '' : anyone holding the link may use it
	created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER,
	used_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
	used_email  TEXT NOT NULL DEFAULT '', -- kept when the account that used it is deleted
	revoked_at  INTEGER
);
CREATE INDEX invites_created ON invites(created_at DESC, id DESC);

CREATE TABLE password_resets (
	id          INTEGER PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	token_hash  BLOB NOT NULL UNIQUE,
	created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER
);
CREATE INDEX password_resets_user ON password_resets(user_id);

-- The audit log outlives the accounts it names: no foreign keys, the actor's email is a copy.
CREATE TABLE audit_events (
	id           INTEGER PRIMARY KEY,
	at           INTEGER NOT NULL,
	actor_id     INTEGER,
	actor_email  TEXT NOT NULL DEFAULT '',
	action       TEXT NOT NULL,
	target_type  TEXT NOT NULL DEFAULT '',
	target_id    TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	detail_json  TEXT NOT NULL DEFAULT '{}'
);

-- The Admin tab's usage per account reads only this index (count and sum of bytes), never the rows.
CREATE INDEX assets_user_bytes ON assets(user_id, bytes);
