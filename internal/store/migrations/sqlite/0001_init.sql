-- Times are integer epoch milliseconds; ids of generations and assets are random text.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE users (
	id                 INTEGER PRIMARY KEY,
	email              TEXT NOT NULL UNIQUE,
	password_hash      TEXT NOT NULL,
	fal_key            TEXT NOT NULL DEFAULT '', -- sealed by package secret, never plaintext
	fal_key_updated_at INTEGER,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL
);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	secret_hash  BLOB NOT NULL, -- HMAC-SHA-256 of the cookie secret under SESSION_SECRET
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE generations (
	id               TEXT PRIMARY KEY,
	user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	model            TEXT NOT NULL,
	prompt           TEXT NOT NULL DEFAULT '',
	params_json      TEXT NOT NULL DEFAULT '{}',
	fal_request_id   TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL,
	queue_position   INTEGER,
	logs_json        TEXT NOT NULL DEFAULT '[]',
	error_code       TEXT NOT NULL DEFAULT '',
	error_message    TEXT NOT NULL DEFAULT '',
	notice           TEXT NOT NULL DEFAULT '',
	result_json      TEXT NOT NULL DEFAULT '', -- fal's result, kept so saving resumes after a crash
	cancel_requested INTEGER NOT NULL DEFAULT 0,
	attempts         INTEGER NOT NULL DEFAULT 0, -- status polls so far (the interval grows with them)
	failures         INTEGER NOT NULL DEFAULT 0, -- consecutive transient failures
	failing_since    INTEGER NOT NULL DEFAULT 0, -- when the current run of failures began
	next_poll_at     INTEGER NOT NULL DEFAULT 0,
	lease_owner      TEXT NOT NULL DEFAULT '',
	lease_until      INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	completed_at     INTEGER
);
CREATE INDEX generations_user_created ON generations(user_id, created_at DESC, id DESC);
CREATE INDEX generations_active ON generations(next_poll_at)
	WHERE status IN ('submitting', 'queued', 'running', 'saving');

-- One row per output file of a generation. The asset id and the storage key are chosen and
-- saved here before the upload starts, so a retry after a crash writes the same object.
CREATE TABLE outputs (
	generation_id TEXT NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
	idx           INTEGER NOT NULL,
	asset_id      TEXT NOT NULL UNIQUE,
	source_url    TEXT NOT NULL,
	storage_key   TEXT NOT NULL DEFAULT '',
	storage       TEXT NOT NULL DEFAULT '',
	updated_at    INTEGER NOT NULL,
	PRIMARY KEY (generation_id, idx)
);

CREATE TABLE assets (
	seq           INTEGER PRIMARY KEY, -- stable rowid: the prompt index points at it
	id            TEXT NOT NULL UNIQUE,
	user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	generation_id TEXT NOT NULL DEFAULT '',
	model         TEXT NOT NULL,
	prompt        TEXT NOT NULL DEFAULT '',
	result_kind   TEXT NOT NULL,
	storage_key   TEXT NOT NULL UNIQUE,
	storage_url   TEXT NOT NULL DEFAULT '',
	storage       TEXT NOT NULL,
	content_type  TEXT NOT NULL,
	bytes         INTEGER NOT NULL,
	width         INTEGER NOT NULL DEFAULT 0,
	height        INTEGER NOT NULL DEFAULT 0,
	params_json   TEXT NOT NULL DEFAULT '{}',
	created_at    INTEGER NOT NULL
);
CREATE INDEX assets_user_created ON assets(user_id, created_at DESC, id DESC);
CREATE INDEX assets_user_kind_created ON assets(user_id, result_kind, created_at DESC, id DESC);
CREATE INDEX assets_generation ON assets(generation_id);

-- Prompt search: an external-content FTS5 index over assets.prompt keyed by assets.seq (an
-- INTEGER PRIMARY KEY, so VACUUM never renumbers it). A match yields seq values straight from
-- the index, without reading any stored row.
CREATE VIRTUAL TABLE assets_fts USING fts5(prompt, content = 'assets', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER assets_fts_insert AFTER INSERT ON assets BEGIN
	INSERT INTO assets_fts(rowid, prompt) VALUES (new.seq, new.prompt);
END;
CREATE TRIGGER assets_fts_delete AFTER DELETE ON assets BEGIN
	INSERT INTO assets_fts(assets_fts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
END;
CREATE TRIGGER assets_fts_update AFTER UPDATE OF prompt ON assets BEGIN
	INSERT INTO assets_fts(assets_fts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
	INSERT INTO assets_fts(rowid, prompt) VALUES (new.seq, new.prompt);
END;

-- Objects whose delete failed; retried later by the runner.
CREATE TABLE pending_deletes (
	storage     TEXT NOT NULL,
	storage_key TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL,
	PRIMARY KEY (storage, storage_key)
);
