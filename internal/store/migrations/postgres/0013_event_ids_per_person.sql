-- The event ids a person's stream shows count that person's own changes: one sequence shared by
-- every account told each member how busy the whole studio was. users.event_seq is the person's
-- counter (never reused, also after pruning); generation_events.user_seq is a change's id.
-- Journaled rows from before have no per-person id: they go (a stream then starts from a
-- snapshot, as after any pruned id).
DELETE FROM generation_events;
ALTER TABLE users ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE generation_events ADD COLUMN user_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX generation_events_user_user_seq ON generation_events(user_id, user_seq);
