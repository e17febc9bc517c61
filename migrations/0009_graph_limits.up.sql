-- Bounds and search for the knowledge graph (see src/storage/graph.rs).
--
-- graph_usage: what each user's graph holds, kept exact by triggers, so a write checks its
-- quotas by reading one row instead of counting or summing the user's graph. `bytes` is the
-- UTF-8 size of every stored string: entity names and types, observations, relation ends and
-- types. Observations reach their user through their entity; the code deletes observations
-- before their entity, so the entity is still there when the delete trigger looks.
CREATE TABLE graph_usage (
    user_id      TEXT PRIMARY KEY NOT NULL,
    entities     INTEGER NOT NULL DEFAULT 0,
    relations    INTEGER NOT NULL DEFAULT 0,
    observations INTEGER NOT NULL DEFAULT 0,
    bytes        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO graph_usage (user_id) SELECT user_id FROM entities UNION SELECT user_id FROM relations;
UPDATE graph_usage SET
    entities = (SELECT count(*) FROM entities e WHERE e.user_id = graph_usage.user_id),
    relations = (SELECT count(*) FROM relations r WHERE r.user_id = graph_usage.user_id),
    observations = (SELECT count(*) FROM observations o JOIN entities e ON e.id = o.entity_id
                    WHERE e.user_id = graph_usage.user_id),
    bytes = coalesce((SELECT sum(length(CAST(e.name AS BLOB)) + length(CAST(e.entity_type AS BLOB)))
                      FROM entities e WHERE e.user_id = graph_usage.user_id), 0)
          + coalesce((SELECT sum(length(CAST(o.content AS BLOB))) FROM observations o
                      JOIN entities e ON e.id = o.entity_id WHERE e.user_id = graph_usage.user_id), 0)
          + coalesce((SELECT sum(length(CAST(r.from_entity AS BLOB)) + length(CAST(r.to_entity AS BLOB))
                                 + length(CAST(r.relation_type AS BLOB)))
                      FROM relations r WHERE r.user_id = graph_usage.user_id), 0);

CREATE TRIGGER graph_usage_entity_insert AFTER INSERT ON entities BEGIN
    INSERT INTO graph_usage (user_id, entities, bytes)
        VALUES (new.user_id, 1, length(CAST(new.name AS BLOB)) + length(CAST(new.entity_type AS BLOB)))
        ON CONFLICT (user_id) DO UPDATE SET entities = entities + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER graph_usage_entity_delete AFTER DELETE ON entities BEGIN
    UPDATE graph_usage SET entities = entities - 1,
        bytes = bytes - length(CAST(old.name AS BLOB)) - length(CAST(old.entity_type AS BLOB))
        WHERE user_id = old.user_id;
END;
CREATE TRIGGER graph_usage_relation_insert AFTER INSERT ON relations BEGIN
    INSERT INTO graph_usage (user_id, relations, bytes)
        VALUES (new.user_id, 1, length(CAST(new.from_entity AS BLOB)) + length(CAST(new.to_entity AS BLOB))
                                + length(CAST(new.relation_type AS BLOB)))
        ON CONFLICT (user_id) DO UPDATE SET relations = relations + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER graph_usage_relation_delete AFTER DELETE ON relations BEGIN
    UPDATE graph_usage SET relations = relations - 1,
        bytes = bytes - length(CAST(old.from_entity AS BLOB)) - length(CAST(old.to_entity AS BLOB))
                      - length(CAST(old.relation_type AS BLOB))
        WHERE user_id = old.user_id;
END;
CREATE TRIGGER graph_usage_observation_insert AFTER INSERT ON observations BEGIN
    UPDATE graph_usage SET observations = observations + 1,
        bytes = bytes + length(CAST(new.content AS BLOB))
        WHERE user_id = (SELECT user_id FROM entities WHERE id = new.entity_id);
END;
CREATE TRIGGER graph_usage_observation_delete AFTER DELETE ON observations BEGIN
    UPDATE graph_usage SET observations = observations - 1,
        bytes = bytes - length(CAST(old.content AS BLOB))
        WHERE user_id = (SELECT user_id FROM entities WHERE id = old.entity_id);
END;

-- Substring search for search_nodes: FTS5 trigram indexes (case-insensitive), one over entity
-- names and types, one over observations, rowid = the row's id. Each row also carries
-- `owner`, 'u' || hex(user_id) || 'z': a phrase query on it matches exactly one user's rows
-- ('u' and 'z' are not hex digits, so one owner is never inside another), and FTS5 intersects
-- it with the query's trigrams before reading any row. Tables of their own (not external
-- content), so a delete needs only the rowid.
CREATE VIRTUAL TABLE graph_entities_fts USING fts5 (name, entity_type, owner, tokenize = 'trigram');
CREATE VIRTUAL TABLE graph_observations_fts USING fts5 (content, owner, tokenize = 'trigram');
INSERT INTO graph_entities_fts (rowid, name, entity_type, owner)
    SELECT id, name, entity_type, 'u' || hex(user_id) || 'z' FROM entities;
INSERT INTO graph_observations_fts (rowid, content, owner)
    SELECT o.id, o.content, 'u' || hex(e.user_id) || 'z' FROM observations o JOIN entities e ON e.id = o.entity_id;
CREATE TRIGGER graph_entities_fts_insert AFTER INSERT ON entities BEGIN
    INSERT INTO graph_entities_fts (rowid, name, entity_type, owner)
        VALUES (new.id, new.name, new.entity_type, 'u' || hex(new.user_id) || 'z');
END;
CREATE TRIGGER graph_entities_fts_delete AFTER DELETE ON entities BEGIN
    DELETE FROM graph_entities_fts WHERE rowid = old.id;
END;
CREATE TRIGGER graph_observations_fts_insert AFTER INSERT ON observations BEGIN
    INSERT INTO graph_observations_fts (rowid, content, owner)
        SELECT new.id, new.content, 'u' || hex(user_id) || 'z' FROM entities WHERE id = new.entity_id;
END;
CREATE TRIGGER graph_observations_fts_delete AFTER DELETE ON observations BEGIN
    DELETE FROM graph_observations_fts WHERE rowid = old.id;
END;

-- read_graph pages entities by id and takes the relations whose `from` is on the page:
-- (user_id, from_entity, …) is the UNIQUE index's prefix. Short searches scan one user's
-- entities in id order.
CREATE INDEX idx_entities_user_id ON entities (user_id, id);
