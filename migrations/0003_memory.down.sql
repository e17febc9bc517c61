DROP TABLE IF EXISTS relations;
DROP TABLE IF EXISTS observations;
DROP TABLE IF EXISTS entities;
DROP TRIGGER IF EXISTS memories_fts_update;
DROP TRIGGER IF EXISTS memories_fts_delete;
DROP TRIGGER IF EXISTS memories_fts_insert;
DROP TABLE IF EXISTS memories_fts;
DROP TABLE IF EXISTS memories;
