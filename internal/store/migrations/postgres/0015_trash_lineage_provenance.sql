-- SPEC §13: lineage, the trash and provenance.
--
-- Lineage: an asset names the asset of the same person it was made from and how. No foreign
-- key: the link stays (the UI says "source deleted") when the parent is purged.
ALTER TABLE assets ADD COLUMN parent_asset_id TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN parent_relation TEXT NOT NULL DEFAULT '';
CREATE INDEX assets_user_parent ON assets(user_id, parent_asset_id, created_at DESC, id DESC) WHERE parent_asset_id <> '';
-- A generation keeps the references it was submitted with (JSON list of asset ids), so the
-- history can run it again, and the parent its outputs get.
ALTER TABLE generations ADD COLUMN reference_asset_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE generations ADD COLUMN relation TEXT NOT NULL DEFAULT '';
ALTER TABLE generations ADD COLUMN parent_asset_id TEXT NOT NULL DEFAULT '';

-- The trash: NULL while in the library; a trashed asset is kept whole (favourite, collections,
-- shares) until purge_at, so a restore only clears the two columns.
ALTER TABLE assets ADD COLUMN trashed_at BIGINT;
ALTER TABLE assets ADD COLUMN purge_at BIGINT;
CREATE INDEX assets_user_trashed ON assets(user_id, trashed_at DESC, id DESC) WHERE trashed_at IS NOT NULL;
CREATE INDEX assets_purge_at ON assets(purge_at) WHERE purge_at IS NOT NULL;

-- Provenance: whether the stored original holds a C2PA manifest (read when it is saved), and
-- the person's choice to keep the prompt out of served files.
ALTER TABLE assets ADD COLUMN c2pa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN embed_prompt INTEGER NOT NULL DEFAULT 1;
