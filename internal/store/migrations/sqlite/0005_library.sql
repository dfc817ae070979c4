-- The library (SPEC §8): favourites, collections (boards), share links, and the collection a
-- submit asked its outputs to land in. Times are epoch milliseconds; ids are random text.

ALTER TABLE assets ADD COLUMN favorite INTEGER NOT NULL DEFAULT 0;
-- Each filter has an index that also yields the gallery's order, so a filtered page is an
-- index walk that stops after 50 rows instead of a sort of every match.
CREATE INDEX assets_user_fav_created ON assets(user_id, favorite, created_at DESC, id DESC);
CREATE INDEX assets_user_model_created ON assets(user_id, model, created_at DESC, id DESC);

CREATE TABLE collections (
	id             TEXT PRIMARY KEY,
	user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name           TEXT NOT NULL,
	name_key       TEXT NOT NULL, -- lower(name): names are unique per user whatever their case
	cover_asset_id TEXT REFERENCES assets(id) ON DELETE SET NULL, -- NULL: the newest asset
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	UNIQUE (user_id, name_key)
);

-- asset_created_at copies the asset's created_at so a collection's page walks this index in the
-- gallery's order (newest first) without sorting the whole collection.
CREATE TABLE collection_assets (
	collection_id    TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
	asset_id         TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
	asset_created_at INTEGER NOT NULL,
	added_at         INTEGER NOT NULL,
	PRIMARY KEY (collection_id, asset_id)
);
CREATE INDEX collection_assets_order ON collection_assets(collection_id, asset_created_at DESC, asset_id DESC);
CREATE INDEX collection_assets_asset ON collection_assets(asset_id);

-- Share links. Only the SHA-256 of the token is kept; a deleted asset or collection takes its
-- shares with it, a revoke deletes the row, so a link stops working at once.
CREATE TABLE shares (
	id            TEXT PRIMARY KEY,
	user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	token_hash    BLOB NOT NULL UNIQUE,
	kind          TEXT NOT NULL, -- asset | collection
	asset_id      TEXT REFERENCES assets(id) ON DELETE CASCADE,
	collection_id TEXT REFERENCES collections(id) ON DELETE CASCADE,
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER -- NULL: never
);
CREATE INDEX shares_user_created ON shares(user_id, created_at DESC);

ALTER TABLE generations ADD COLUMN collection_id TEXT REFERENCES collections(id) ON DELETE SET NULL;
-- History filtered by status pages in order.
CREATE INDEX generations_user_status_created ON generations(user_id, status, created_at DESC, id DESC);
