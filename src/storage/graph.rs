//! `entities`, `observations` and `relations`: one user's knowledge graph, with the semantics of
//! the reference MCP memory server (`@modelcontextprotocol/server-memory`).
//!
//! Entity names are unique per user; relations name their ends by entity name. Every statement
//! filters by `user_id` (observations through their entity). Every change that touches more than
//! one row is one transaction, so a call that fails half-way (an unknown entity) changes nothing.
//! Observations are deleted explicitly rather than through `ON DELETE CASCADE`, which a remote
//! database only honours when the session has `foreign_keys` on.
//!
//! ## Bounds
//!
//! A user's graph is bounded ([`MAX_ENTITIES`], [`MAX_RELATIONS`], [`MAX_OBSERVATIONS`],
//! [`MAX_OBSERVATIONS_PER_ENTITY`], [`MAX_BYTES`]). `graph_usage` (migration 0009) holds each
//! user's counts and bytes, kept exact by triggers; a write does its inserts, reads that one row
//! (and the touched entities' observation counts) inside its transaction, and rolls everything
//! back with [`GraphError::QuotaExceeded`] when a bound is passed, so a refused call writes
//! nothing. Reads never load a whole graph: [`read_graph_page`] pages entities by id (with the
//! relations whose `from` is on the page, so every relation is on exactly one page), and
//! [`search_candidates`] finds matches in SQL: FTS5 trigram indexes for queries of three
//! characters or more, and for shorter ones a scan of the user's rows in SQLite (bounded by the
//! quotas) for the query's upper- and lower-case variants.

use std::collections::{HashMap, HashSet};

use super::{collect, first, Conn, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub name: String,
    pub entity_type: String,
    pub observations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Relation {
    pub from: String,
    pub to: String,
    pub relation_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub entities: Vec<Entity>,
    pub relations: Vec<Relation>,
}

/// Observations to add to, or delete from, one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservationBatch {
    pub entity_name: String,
    pub observations: Vec<String>,
}

/// Most entities one user's graph may hold.
pub const MAX_ENTITIES: i64 = 5_000;
/// Most relations one user's graph may hold.
pub const MAX_RELATIONS: i64 = 10_000;
/// Most observations one user's graph may hold, over all entities.
pub const MAX_OBSERVATIONS: i64 = 20_000;
/// Most observations one entity may hold.
pub const MAX_OBSERVATIONS_PER_ENTITY: i64 = 100;
/// Most bytes (UTF-8) of text one user's graph may hold: entity names and types, observations,
/// relation ends and types together.
pub const MAX_BYTES: i64 = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The message the reference server gives, so prompts that handle it keep working.
    #[error("Entity with name {0} not found")]
    EntityNotFound(String),
    /// A per-user bound would be passed; the message names it. Nothing was written.
    #[error("{0}")]
    QuotaExceeded(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<libsql::Error> for GraphError {
    fn from(e: libsql::Error) -> Self {
        GraphError::Store(e.into())
    }
}

/// What one user's graph holds (`graph_usage`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub entities: i64,
    pub relations: i64,
    pub observations: i64,
    pub bytes: i64,
}

/// The user's usage row (zeros when the user never wrote to the graph).
pub async fn usage(conn: &Conn, user_id: &str) -> Result<Usage> {
    let rows = conn
        .query(
            "SELECT entities, relations, observations, bytes FROM graph_usage WHERE user_id = ?1",
            [user_id],
        )
        .await?;
    Ok(first(rows, |r| {
        Ok(Usage {
            entities: r.get(0)?,
            relations: r.get(1)?,
            observations: r.get(2)?,
            bytes: r.get(3)?,
        })
    })
    .await?
    .unwrap_or_default())
}

/// Fails with the first per-user bound that `conn`'s view of the graph passes (called inside a
/// write transaction, after its inserts, so dropping the transaction undoes them).
async fn check_quotas(conn: &Conn, user_id: &str) -> Result<(), GraphError> {
    let u = usage(conn, user_id).await?;
    let over = |what: &str, have: i64, max: i64| {
        GraphError::QuotaExceeded(format!(
            "Knowledge graph quota exceeded: a user's graph may hold at most {max} {what}; this call would bring it to {have}. Nothing was written: delete some first, or send less."
        ))
    };
    if u.entities > MAX_ENTITIES {
        return Err(over("entities", u.entities, MAX_ENTITIES));
    }
    if u.relations > MAX_RELATIONS {
        return Err(over("relations", u.relations, MAX_RELATIONS));
    }
    if u.observations > MAX_OBSERVATIONS {
        return Err(over("observations", u.observations, MAX_OBSERVATIONS));
    }
    if u.bytes > MAX_BYTES {
        return Err(over("bytes of text", u.bytes, MAX_BYTES));
    }
    Ok(())
}

/// Fails when entity `id` (named `name`) holds more than [`MAX_OBSERVATIONS_PER_ENTITY`].
async fn check_entity_observations(conn: &Conn, id: i64, name: &str) -> Result<(), GraphError> {
    let n = super::scalar_i64(
        conn,
        "SELECT count(*) FROM observations WHERE entity_id = ?1",
        [id],
    )
    .await?;
    if n > MAX_OBSERVATIONS_PER_ENTITY {
        return Err(GraphError::QuotaExceeded(format!(
            "Knowledge graph quota exceeded: an entity may hold at most {MAX_OBSERVATIONS_PER_ENTITY} observations; this call would bring {name} to {n}. Nothing was written."
        )));
    }
    Ok(())
}

/// What [`delete_entities`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedEntities {
    pub deleted: Vec<String>,
    pub not_found: Vec<String>,
}

/// What [`delete_observations`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedObservations {
    pub deleted_count: u64,
    pub missing_entities: Vec<String>,
}

fn json_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    serde_json::to_string(&items.into_iter().collect::<Vec<_>>()).expect("strings serialize")
}

/// Creates the entities whose names are new (to the user and earlier in the batch); returns
/// those, as stored. Existing names are skipped, not updated.
pub async fn create_entities(
    store: &Store,
    user_id: &str,
    entities: &[Entity],
    now: i64,
) -> Result<Vec<Entity>, GraphError> {
    let tx = store.begin_write().await?;
    let mut created = Vec::new();
    let mut seen = HashSet::new();
    for e in entities {
        if !seen.insert(e.name.as_str()) {
            continue;
        }
        let rows = tx
            .query(
                "INSERT INTO entities (user_id, name, entity_type, created_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (user_id, name) DO NOTHING RETURNING id",
                libsql::params![user_id, e.name.as_str(), e.entity_type.as_str(), now],
            )
            .await?;
        let Some(id) = first(rows, |r| Ok(r.get::<i64>(0)?)).await? else {
            continue;
        };
        let added = insert_observations(&tx, id, &e.observations, now).await?;
        check_entity_observations(&tx, id, &e.name).await?;
        created.push(Entity {
            name: e.name.clone(),
            entity_type: e.entity_type.clone(),
            observations: added,
        });
    }
    check_quotas(&tx, user_id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Inserts the observations not already on entity `id`; returns those added, in order.
async fn insert_observations(
    conn: &Conn,
    entity_id: i64,
    observations: &[String],
    now: i64,
) -> Result<Vec<String>> {
    let mut added = Vec::new();
    for o in observations {
        let n = conn
            .execute(
                "INSERT INTO observations (entity_id, content, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (entity_id, content) DO NOTHING",
                libsql::params![entity_id, o.as_str(), now],
            )
            .await?;
        if n > 0 {
            added.push(o.clone());
        }
    }
    Ok(added)
}

/// The ids of `user_id`'s entities among `names`.
async fn entity_ids(
    conn: &Conn,
    user_id: &str,
    names: impl IntoIterator<Item = &str>,
) -> Result<HashMap<String, i64>> {
    let rows = conn
        .query(
            "SELECT name, id FROM entities WHERE user_id = ?1 \
             AND name IN (SELECT value FROM json_each(?2))",
            libsql::params![user_id, json_list(names)],
        )
        .await?;
    Ok(collect(rows, |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?)))
        .await?
        .into_iter()
        .collect())
}

/// Creates the relations not already present; both ends must be existing entities, else nothing
/// is created and the first missing name is the error.
pub async fn create_relations(
    store: &Store,
    user_id: &str,
    relations: &[Relation],
    now: i64,
) -> Result<Vec<Relation>, GraphError> {
    let tx = store.begin_write().await?;
    let ids = entity_ids(
        &tx,
        user_id,
        relations.iter().flat_map(|r| [r.from.as_str(), r.to.as_str()]),
    )
    .await?;
    for r in relations {
        for end in [&r.from, &r.to] {
            if !ids.contains_key(end) {
                return Err(GraphError::EntityNotFound(end.clone()));
            }
        }
    }
    let mut created = Vec::new();
    for r in relations {
        let n = tx
            .execute(
                "INSERT INTO relations (user_id, from_entity, to_entity, relation_type, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (user_id, from_entity, to_entity, relation_type) DO NOTHING",
                libsql::params![
                    user_id,
                    r.from.as_str(),
                    r.to.as_str(),
                    r.relation_type.as_str(),
                    now
                ],
            )
            .await
            .map_err(StoreError::from)?;
        if n > 0 {
            created.push(r.clone());
        }
    }
    check_quotas(&tx, user_id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Adds observations to existing entities; returns, per batch, the ones that were new. An
/// unknown entity fails the whole call.
pub async fn add_observations(
    store: &Store,
    user_id: &str,
    batches: &[ObservationBatch],
    now: i64,
) -> Result<Vec<ObservationBatch>, GraphError> {
    let tx = store.begin_write().await?;
    let ids = entity_ids(&tx, user_id, batches.iter().map(|b| b.entity_name.as_str())).await?;
    let mut results = Vec::with_capacity(batches.len());
    for b in batches {
        let Some(&id) = ids.get(&b.entity_name) else {
            return Err(GraphError::EntityNotFound(b.entity_name.clone()));
        };
        let added = insert_observations(&tx, id, &b.observations, now).await?;
        check_entity_observations(&tx, id, &b.entity_name).await?;
        results.push(ObservationBatch {
            entity_name: b.entity_name.clone(),
            observations: added,
        });
    }
    check_quotas(&tx, user_id).await?;
    tx.commit().await?;
    Ok(results)
}

/// Deletes the named entities, their observations, and every relation from or to them.
pub async fn delete_entities(store: &Store, user_id: &str, names: &[String]) -> Result<DeletedEntities> {
    let tx = store.begin_write().await?;
    let ids = entity_ids(&tx, user_id, names.iter().map(String::as_str)).await?;
    let list = json_list(names.iter().map(String::as_str));
    tx.execute(
        "DELETE FROM relations WHERE user_id = ?1 AND (from_entity IN (SELECT value FROM json_each(?2)) \
         OR to_entity IN (SELECT value FROM json_each(?2)))",
        libsql::params![user_id, list.as_str()],
    )
    .await?;
    tx.execute(
        "DELETE FROM observations WHERE entity_id IN \
         (SELECT id FROM entities WHERE user_id = ?1 AND name IN (SELECT value FROM json_each(?2)))",
        libsql::params![user_id, list.as_str()],
    )
    .await?;
    tx.execute(
        "DELETE FROM entities WHERE user_id = ?1 AND name IN (SELECT value FROM json_each(?2))",
        libsql::params![user_id, list.as_str()],
    )
    .await?;
    tx.commit().await?;
    let (deleted, not_found) = names.iter().cloned().partition(|n| ids.contains_key(n));
    Ok(DeletedEntities { deleted, not_found })
}

/// Deletes the given observations; unknown entities are reported, not an error.
pub async fn delete_observations(
    store: &Store,
    user_id: &str,
    batches: &[ObservationBatch],
) -> Result<DeletedObservations> {
    let tx = store.begin_write().await?;
    let ids = entity_ids(&tx, user_id, batches.iter().map(|b| b.entity_name.as_str())).await?;
    let mut deleted_count = 0;
    let mut missing_entities = Vec::new();
    for b in batches {
        let Some(&id) = ids.get(&b.entity_name) else {
            missing_entities.push(b.entity_name.clone());
            continue;
        };
        deleted_count += tx
            .execute(
                "DELETE FROM observations WHERE entity_id = ?1 \
                 AND content IN (SELECT value FROM json_each(?2))",
                libsql::params![id, json_list(b.observations.iter().map(String::as_str))],
            )
            .await?;
    }
    tx.commit().await?;
    Ok(DeletedObservations {
        deleted_count,
        missing_entities,
    })
}

/// Deletes the relations that match exactly; returns how many there were.
pub async fn delete_relations(store: &Store, user_id: &str, relations: &[Relation]) -> Result<u64> {
    let tx = store.begin_write().await?;
    let mut deleted = 0;
    for r in relations {
        deleted += tx
            .execute(
                "DELETE FROM relations WHERE user_id = ?1 AND from_entity = ?2 AND to_entity = ?3 \
                 AND relation_type = ?4",
                libsql::params![user_id, r.from.as_str(), r.to.as_str(), r.relation_type.as_str()],
            )
            .await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// One page of a user's graph: see [`read_graph_page`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphPage {
    pub graph: Graph,
    /// The id to pass as `after` for the next page; `None` on the last page.
    pub next: Option<i64>,
}

/// The user's entities with id above `after`, in creation order: at most `limit` of them, and
/// no more than `max_bytes` of their text (but always one, if any is left); with the relations
/// whose `from` is among them, in creation order. A relation's ends always exist, so paging
/// through to the end yields every entity and every relation exactly once; a graph that fits in
/// one page comes back exactly as a whole read would return it.
pub async fn read_graph_page(
    store: &Store,
    user_id: &str,
    after: i64,
    limit: usize,
    max_bytes: usize,
) -> Result<GraphPage> {
    let conn = store.connection().await?;
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    // The page is chosen in SQLite (sizes summed there), so only what is returned is loaded.
    let rows = conn
        .query(
            "WITH firsts AS (SELECT id, name, entity_type FROM entities \
               WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3) \
             SELECT id, sum(length(CAST(name AS BLOB)) + length(CAST(entity_type AS BLOB)) \
               + coalesce((SELECT sum(length(CAST(o.content AS BLOB))) FROM observations o \
                           WHERE o.entity_id = firsts.id), 0)) OVER (ORDER BY id) \
             FROM firsts ORDER BY id",
            libsql::params![user_id, after, fetch],
        )
        .await?;
    let sized = collect(rows, |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?))).await?;
    let max_bytes = i64::try_from(max_bytes).unwrap_or(i64::MAX);
    let keep = sized
        .iter()
        .enumerate()
        .take_while(|(i, (_, running))| *i < limit && (*i == 0 || *running <= max_bytes))
        .count();
    let more = sized.len() > keep;
    let ids: Vec<i64> = sized[..keep].iter().map(|(id, _)| *id).collect();
    let next = if more { ids.last().copied() } else { None };
    let entities = if ids.is_empty() {
        Vec::new()
    } else {
        let list = serde_json::to_string(&ids).expect("integers serialize");
        load_entities(
            &conn,
            "SELECT id, name, entity_type FROM entities WHERE user_id = ?1 \
             AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
            "SELECT o.entity_id, o.content FROM observations o \
             WHERE o.entity_id IN (SELECT value FROM json_each(?2)) ORDER BY o.id",
            vec![user_id.into(), list.into()],
        )
        .await?
    };
    let relations = if entities.is_empty() {
        Vec::new()
    } else {
        let rows = conn
            .query(
                "SELECT from_entity, to_entity, relation_type FROM relations WHERE user_id = ?1 \
                 AND from_entity IN (SELECT value FROM json_each(?2)) ORDER BY id",
                libsql::params![user_id, json_list(entities.iter().map(|e| e.name.as_str()))],
            )
            .await?;
        collect(rows, decode_relation).await?
    };
    Ok(GraphPage {
        graph: Graph { entities, relations },
        next,
    })
}

/// The longest query matched character by character instead of through the trigram index,
/// which needs three characters.
const TRIGRAM: usize = 3;

/// Up to `limit` of the user's entities (in creation order, with their observations) that may
/// contain `query` ignoring case in their name, type or an observation: matched in SQL, so the
/// caller checks the exact semantics on these few. Queries of three characters or more go
/// through the trigram indexes (`graph_entities_fts`, `graph_observations_fts`); shorter ones
/// scan the user's rows in SQLite for each upper/lower-case variant of the query.
pub async fn search_candidates(
    store: &Store,
    user_id: &str,
    query: &str,
    limit: usize,
) -> Result<Vec<Entity>> {
    let conn = store.connection().await?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids_sql;
    let params: Vec<libsql::Value>;
    if query.chars().count() >= TRIGRAM {
        let owner: String = user_id.bytes().map(|b| format!("{b:02X}")).collect();
        let phrase = format!("\"{}\"", query.replace('"', "\"\""));
        ids_sql = "SELECT id FROM entities WHERE user_id = ?1 AND (\
             id IN (SELECT rowid FROM graph_entities_fts WHERE graph_entities_fts MATCH ?2) \
             OR id IN (SELECT o.entity_id FROM observations o WHERE o.id IN \
               (SELECT rowid FROM graph_observations_fts WHERE graph_observations_fts MATCH ?3))) \
             ORDER BY id LIMIT ?4";
        params = vec![
            user_id.into(),
            format!("{{owner}} : \"u{owner}z\" AND {{name entity_type}} : {phrase}").into(),
            format!("{{owner}} : \"u{owner}z\" AND {{content}} : {phrase}").into(),
            limit.into(),
        ];
    } else {
        ids_sql = "SELECT e.id FROM entities e WHERE e.user_id = ?1 AND EXISTS (\
             SELECT 1 FROM json_each(?2) v WHERE instr(e.name, v.value) > 0 \
             OR instr(e.entity_type, v.value) > 0 \
             OR EXISTS (SELECT 1 FROM observations o WHERE o.entity_id = e.id AND instr(o.content, v.value) > 0)) \
             ORDER BY e.id LIMIT ?3";
        let variants = case_variants(query);
        params = vec![
            user_id.into(),
            json_list(variants.iter().map(String::as_str)).into(),
            limit.into(),
        ];
    }
    let rows = load_entities_with_ids(
        &conn,
        &format!("SELECT id, name, entity_type FROM entities WHERE id IN ({ids_sql}) ORDER BY id"),
        &format!(
            "SELECT o.entity_id, o.content FROM observations o WHERE o.entity_id IN ({ids_sql}) \
             ORDER BY o.id"
        ),
        params,
    )
    .await?;
    Ok(rows.into_iter().map(|(_, e)| e).collect())
}

/// Every spelling of a short `query` with each character as given, lower-cased or upper-cased.
fn case_variants(query: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in query.chars() {
        let mut forms: Vec<String> = vec![
            c.to_string(),
            c.to_lowercase().collect(),
            c.to_uppercase().collect(),
        ];
        forms.sort();
        forms.dedup();
        out = out
            .iter()
            .flat_map(|prefix| forms.iter().map(move |f| format!("{prefix}{f}")))
            .collect();
    }
    out
}

/// Every relation of the user with an end among `names`, in creation order.
pub async fn relations_touching(store: &Store, user_id: &str, names: &[&str]) -> Result<Vec<Relation>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let conn = store.connection().await?;
    let list = json_list(names.iter().copied());
    let rows = conn
        .query(
            "SELECT from_entity, to_entity, relation_type FROM relations WHERE user_id = ?1 \
             AND (from_entity IN (SELECT value FROM json_each(?2)) \
             OR to_entity IN (SELECT value FROM json_each(?2))) ORDER BY id",
            libsql::params![user_id, list],
        )
        .await?;
    collect(rows, decode_relation).await
}

/// The named entities, and every relation with at least one end among them.
pub async fn open_nodes(store: &Store, user_id: &str, names: &[String]) -> Result<Graph> {
    let conn = store.connection().await?;
    let entities = load_entities(
        &conn,
        "SELECT id, name, entity_type FROM entities WHERE user_id = ?1 \
         AND name IN (SELECT value FROM json_each(?2)) ORDER BY id",
        "SELECT o.entity_id, o.content FROM observations o JOIN entities e ON e.id = o.entity_id \
         WHERE e.user_id = ?1 AND e.name IN (SELECT value FROM json_each(?2)) ORDER BY o.id",
        vec![user_id.into(), json_list(names.iter().map(String::as_str)).into()],
    )
    .await?;
    let found = json_list(entities.iter().map(|e| e.name.as_str()));
    let rows = conn
        .query(
            "SELECT from_entity, to_entity, relation_type FROM relations WHERE user_id = ?1 \
             AND (from_entity IN (SELECT value FROM json_each(?2)) \
             OR to_entity IN (SELECT value FROM json_each(?2))) ORDER BY id",
            libsql::params![user_id, found],
        )
        .await?;
    Ok(Graph {
        entities,
        relations: collect(rows, decode_relation).await?,
    })
}

fn decode_relation(r: &libsql::Row) -> Result<Relation> {
    Ok(Relation {
        from: r.get(0)?,
        to: r.get(1)?,
        relation_type: r.get(2)?,
    })
}

/// Entities from `entities_sql` (`id, name, entity_type`) with their observations from
/// `observations_sql` (`entity_id, content`), both run with `params`.
async fn load_entities(
    conn: &Conn,
    entities_sql: &str,
    observations_sql: &str,
    params: Vec<libsql::Value>,
) -> Result<Vec<Entity>> {
    Ok(
        load_entities_with_ids(conn, entities_sql, observations_sql, params)
            .await?
            .into_iter()
            .map(|(_, e)| e)
            .collect(),
    )
}

/// As [`load_entities`], each with its row id.
async fn load_entities_with_ids(
    conn: &Conn,
    entities_sql: &str,
    observations_sql: &str,
    params: Vec<libsql::Value>,
) -> Result<Vec<(i64, Entity)>> {
    let rows = conn.query(entities_sql, params.clone()).await?;
    let mut index = HashMap::new();
    let mut entities = Vec::new();
    for (i, (id, entity)) in collect(rows, |r| {
        Ok((
            r.get::<i64>(0)?,
            Entity {
                name: r.get(1)?,
                entity_type: r.get(2)?,
                observations: Vec::new(),
            },
        ))
    })
    .await?
    .into_iter()
    .enumerate()
    {
        index.insert(id, i);
        entities.push((id, entity));
    }
    if entities.is_empty() {
        return Ok(entities);
    }
    let rows = conn.query(observations_sql, params).await?;
    for (entity_id, content) in collect(rows, |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?))).await? {
        if let Some(&i) = index.get(&entity_id) {
            entities[i].1.observations.push(content);
        }
    }
    Ok(entities)
}
