-- Several replicas: a file kept on one replica's local disk (S3 was down) names that replica, so
-- only it serves and re-syncs the file; the others answer media_unavailable until then.
ALTER TABLE assets ADD COLUMN local_holder TEXT NOT NULL DEFAULT '';
-- Fair claims read due rows by user.
CREATE INDEX generations_user_active ON generations(user_id, next_poll_at)
	WHERE status IN ('submitting', 'queued', 'running', 'saving');
