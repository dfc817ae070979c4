-- SQLite gives a new row max(id)+1, so the id of a deleted newest account came back for the
-- next one (its old audit entries then named the new person). The highest id ever given is kept
-- in meta ('users_id_high', raised by this trigger when an account goes) and CreateUser picks
-- an id above it and above every current one. Seeded from the audit log, which remembers ids
-- deleted before this migration.
INSERT INTO meta (key, value)
SELECT 'users_id_high', CAST(max(
    coalesce((SELECT max(actor_id) FROM audit_events), 0),
    coalesce((SELECT max(CAST(target_id AS INTEGER)) FROM audit_events WHERE target_type = 'user'), 0)) AS TEXT);

CREATE TRIGGER users_id_high AFTER DELETE ON users BEGIN
    INSERT INTO meta (key, value) VALUES ('users_id_high', CAST(OLD.id AS TEXT))
    ON CONFLICT (key) DO UPDATE SET value = CAST(max(CAST(meta.value AS INTEGER), OLD.id) AS TEXT);
END;
