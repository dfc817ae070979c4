-- The per-person event journal, presets and variation groups.

-- One row per published change of a generation. Its seq is the id of the event on
-- GET /api/events on every replica, so Last-Event-ID resumes wherever the browser reconnects.
-- AUTOINCREMENT: a seq is never reused, even after pruning empties the table.
CREATE TABLE generation_events (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	generation_id TEXT NOT NULL,
	at            INTEGER NOT NULL
);
CREATE INDEX generation_events_user_seq ON generation_events(user_id, seq);
CREATE INDEX generation_events_at ON generation_events(at);

-- Saved model settings. name_key is the lower-cased name: names are unique per user whatever
-- their case, on both databases.
CREATE TABLE presets (
	id          TEXT PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	name_key    TEXT NOT NULL,
	model       TEXT NOT NULL,
	params_json TEXT NOT NULL DEFAULT '{}',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (user_id, name_key)
);

-- Variations of one submit share a group id ('' when the generation is on its own).
ALTER TABLE generations ADD COLUMN group_id TEXT NOT NULL DEFAULT '';
