-- Thumbnails (SPEC §10) and the per-user asset version behind the gallery's ETag.
-- The same schema as migrations/sqlite/0007_thumbs.sql; see the comments there.

ALTER TABLE assets ADD COLUMN thumb_bytes BIGINT NOT NULL DEFAULT 0;
CREATE INDEX assets_thumb_todo ON assets(created_at, id) WHERE thumb_bytes = 0;

CREATE TABLE asset_versions (
	user_id BIGINT PRIMARY KEY, -- no foreign key: deleting a user cascades to assets, whose
	                         -- triggers write here; a leftover row of a deleted user is harmless
	version BIGINT NOT NULL
);

CREATE FUNCTION bump_asset_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	uid BIGINT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		uid := OLD.user_id;
	ELSE
		uid := NEW.user_id;
	END IF;
	INSERT INTO asset_versions (user_id, version) VALUES (uid, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)
		ON CONFLICT (user_id) DO UPDATE SET version = asset_versions.version + 1;
	RETURN NULL;
END;
$$;

CREATE TRIGGER asset_versions_change AFTER INSERT OR UPDATE OR DELETE ON assets
	FOR EACH ROW EXECUTE FUNCTION bump_asset_version();

-- Collection membership shows in every Asset as collectionIds: adding or removing one (a
-- deleted collection included) changes the owner's version too, read from the asset's row.
CREATE FUNCTION bump_asset_version_membership() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	aid TEXT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		aid := OLD.asset_id;
	ELSE
		aid := NEW.asset_id;
	END IF;
	INSERT INTO asset_versions (user_id, version)
		SELECT user_id, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT FROM assets WHERE id = aid
		ON CONFLICT (user_id) DO UPDATE SET version = asset_versions.version + 1;
	RETURN NULL;
END;
$$;

CREATE TRIGGER asset_versions_membership AFTER INSERT OR DELETE ON collection_assets
	FOR EACH ROW EXECUTE FUNCTION bump_asset_version_membership();
