-- Same version as SQLite's: there, ids of deleted accounts were reused. PostgreSQL's identity
-- column never hands out a value twice, so nothing changes here.
SELECT 1;
