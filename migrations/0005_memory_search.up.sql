-- Per-user full-text search without reading other users' rows.
-- 0003's index held every user's memories in one FTS5 table, so search_memories matched the
-- words across all users first and then joined each match to `memories` to keep the caller's:
-- the work grew with the whole table, not with the caller's memories. Each indexed row now
-- carries one more column, `owner`: a single token 'u' || hex(user_id) (hex is injective and
-- alphanumeric, so it is one unicode61 token that no other user id produces). A search is
-- `{owner} : "u<hex>" AND {content tags} : (…)`, which FTS5 answers by intersecting doclists
-- before any row is read. bm25() weighs `owner` 0, so ranking is by content and tags as
-- before; the query still filters on memories.user_id as well.
DROP TRIGGER memories_fts_update;
DROP TRIGGER memories_fts_delete;
DROP TRIGGER memories_fts_insert;
DROP TABLE memories_fts;

-- External content through a view, so FTS5's own 'rebuild' and 'integrity-check' still work.
CREATE VIEW memories_fts_source AS
    SELECT id, content, tags, 'u' || hex(user_id) AS owner FROM memories;
CREATE VIRTUAL TABLE memories_fts USING fts5 (
    content, tags, owner, content = 'memories_fts_source', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, content, tags, owner)
        VALUES (new.id, new.content, new.tags, 'u' || hex(new.user_id));
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, tags, owner)
        VALUES ('delete', old.id, old.content, old.tags, 'u' || hex(old.user_id));
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, tags, owner)
        VALUES ('delete', old.id, old.content, old.tags, 'u' || hex(old.user_id));
    INSERT INTO memories_fts (rowid, content, tags, owner)
        VALUES (new.id, new.content, new.tags, 'u' || hex(new.user_id));
END;
INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');
