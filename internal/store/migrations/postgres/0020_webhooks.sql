-- fal webhooks (SPEC §17.1). A delivery names its job by fal's request id, looked up through
-- this index. woken marks a job a webhook woke while a worker was polling it, so that poll's
-- "not done yet" does not put the job back to sleep until the fallback poll.
ALTER TABLE generations ADD COLUMN woken INTEGER NOT NULL DEFAULT 0;
CREATE INDEX generations_fal_request ON generations(fal_request_id) WHERE fal_request_id <> '';
