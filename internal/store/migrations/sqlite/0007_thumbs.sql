-- Thumbnails (SPEC §10) and the per-user asset version behind the gallery's ETag.

-- thumb_bytes: 0 = no preview yet (the backfill will try), > 0 = the size of the stored preview,
-- -1 = none can be made (not decodable, over the pixel limit, or a video without ffmpeg support).
-- The preview's key is derived from storage_key (media.ThumbKey) and it lives in the same
-- backend as the original, so it needs no columns of its own.
ALTER TABLE assets ADD COLUMN thumb_bytes INTEGER NOT NULL DEFAULT 0;
-- The backfill's queue: only the rows still waiting, in a stable order it can resume from.
CREATE INDEX assets_thumb_todo ON assets(created_at, id) WHERE thumb_bytes = 0;

-- One counter per user, bumped in the same transaction as every change to that user's assets,
-- so GET /api/assets can answer If-None-Match from one primary-key read. It starts at the
-- current epoch milliseconds, so a recreated database never repeats an ETag a browser holds.
-- The triggers cover every write to the assets table whoever makes it; changes kept in other
-- tables call store.BumpAssetVersion in their transaction (collection membership: triggers below).
CREATE TABLE asset_versions (
	user_id INTEGER PRIMARY KEY, -- no foreign key: deleting a user cascades to assets, whose
	                         -- triggers write here; a leftover row of a deleted user is harmless
	version INTEGER NOT NULL
);
CREATE TRIGGER asset_versions_insert AFTER INSERT ON assets BEGIN
	INSERT INTO asset_versions (user_id, version) VALUES (new.user_id, CAST(unixepoch('subsec') * 1000 AS INTEGER))
		ON CONFLICT (user_id) DO UPDATE SET version = asset_versions.version + 1;
END;
CREATE TRIGGER asset_versions_update AFTER UPDATE ON assets BEGIN
	INSERT INTO asset_versions (user_id, version) VALUES (new.user_id, CAST(unixepoch('subsec') * 1000 AS INTEGER))
		ON CONFLICT (user_id) DO UPDATE SET version = asset_versions.version + 1;
END;
CREATE TRIGGER asset_versions_delete AFTER DELETE ON assets BEGIN
	INSERT INTO asset_versions (user_id, version) VALUES (old.user_id, CAST(unixepoch('subsec') * 1000 AS INTEGER))
		ON CONFLICT (user_id) DO UPDATE SET version = asset_versions.version + 1;
END;

-- Collection membership shows in every Asset as collectionIds: adding or removing one (a
-- deleted collection included) changes the owner's version too, read from the asset's row.
CREATE TRIGGER asset_versions_collection_add AFTER INSERT ON collection_assets BEGIN
	INSERT INTO asset_versions (user_id, version)
		SELECT user_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM assets WHERE id = new.asset_id
		ON CONFLICT (user_id) DO UPDATE SET version = asset_versions.version + 1;
END;
CREATE TRIGGER asset_versions_collection_remove AFTER DELETE ON collection_assets BEGIN
	INSERT INTO asset_versions (user_id, version)
		SELECT user_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM assets WHERE id = old.asset_id
		ON CONFLICT (user_id) DO UPDATE SET version = asset_versions.version + 1;
END;
