-- PostgreSQL's 0009 turns off the GIN pending list of the prompt index. SQLite's FTS5 index has
-- no such list (automerge keeps its segments few), so there is nothing to change here; the
-- version exists so both databases count the same migrations.
SELECT 1;
