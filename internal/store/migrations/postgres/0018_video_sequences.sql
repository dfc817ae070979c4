-- SPEC §15.6: the clips of one extend chain share an opaque sequence id ('' for none). A clip
-- gets one when it is first extended; Extend's outputs take their parent's.
ALTER TABLE assets ADD COLUMN sequence_id TEXT NOT NULL DEFAULT '';
CREATE INDEX assets_user_sequence ON assets(user_id, sequence_id, created_at DESC, id DESC) WHERE sequence_id <> '';
