-- Studio power (SPEC §14): the cast, the cast a generation used, and prompt enhancements.

-- Cast members: reusable people, pets, products and styles. name_key is the lower-cased name:
-- names are unique per owner whatever their case. shared (0/1) lets every signed-in person use it.
CREATE TABLE cast_members (
	id          TEXT PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	name_key    TEXT NOT NULL,
	kind        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	shared      INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (user_id, name_key)
);
CREATE INDEX cast_members_shared ON cast_members(shared, name_key);

-- A member's own copies of its pictures (never the source asset's object), in order.
CREATE TABLE cast_images (
	id           TEXT PRIMARY KEY,
	cast_id      TEXT NOT NULL REFERENCES cast_members(id) ON DELETE CASCADE,
	position     INTEGER NOT NULL,
	storage      TEXT NOT NULL,
	storage_key  TEXT NOT NULL,
	content_type TEXT NOT NULL,
	bytes        INTEGER NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX cast_images_cast ON cast_images(cast_id, position);

-- The members a generation used, in order (the gallery's ?cast= filter reads it). No foreign
-- key to cast_members: what a person made with a member stays theirs when it is deleted.
CREATE TABLE generation_cast (
	generation_id TEXT NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
	cast_id       TEXT NOT NULL,
	position      INTEGER NOT NULL,
	PRIMARY KEY (generation_id, cast_id)
);
CREATE INDEX generation_cast_cast ON generation_cast(cast_id);

-- Prompt enhancements: not generations, but spend. A pending one holds its reserve (counted as
-- spent, so a crash mid-call never hands out budget); a finished one holds fal's usage.cost.
CREATE TABLE enhancements (
	id           TEXT PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	model        TEXT NOT NULL,
	status       TEXT NOT NULL,
	cost_usd     REAL,
	created_at   INTEGER NOT NULL,
	completed_at INTEGER NOT NULL
);
CREATE INDEX enhancements_user ON enhancements(user_id, completed_at);

-- The ids of the cast members a generation used, as a JSON list (its view shows them); the
-- generation_cast rows above index the same for the gallery filter.
ALTER TABLE generations ADD COLUMN cast_json TEXT NOT NULL DEFAULT '[]';
-- A compare's runs are read back by their set.
CREATE INDEX generations_user_group ON generations(user_id, group_id);
