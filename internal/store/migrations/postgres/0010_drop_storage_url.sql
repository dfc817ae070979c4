-- assets.storage_url was written at save time and never read: every URL is built when an asset
-- is shown (S3_PUBLIC_BASE_URL may change). Dropped so nothing can start relying on a stale copy.
ALTER TABLE assets DROP COLUMN storage_url;
