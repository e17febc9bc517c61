//! `entities`, `observations` and `relations`: one user's knowledge graph, with the semantics of
//! the reference MCP memory server (`@modelcontextprotocol/server-memory`).
//!
//! Entity names are unique per user; relations name their ends by entity name. Every statement
//! filters by `user_id` (observations through their entity). Every change that touches more than
//! one row is one transaction, so a call that fails half-way (an unknown entity) changes nothing.
//! Observations are deleted explicitly rather than through `ON DELETE CASCADE`, which a remote
//! database only honours when the session has `foreign_keys` on.

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

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The message the reference server gives, so prompts that handle it keep working.
    #[error("Entity with name {0} not found")]
    EntityNotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
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
) -> Result<Vec<Entity>> {
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
        created.push(Entity {
            name: e.name.clone(),
            entity_type: e.entity_type.clone(),
            observations: added,
        });
    }
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
        results.push(ObservationBatch {
            entity_name: b.entity_name.clone(),
            observations: added,
        });
    }
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

/// The user's whole graph, entities and relations in creation order.
pub async fn read_graph(store: &Store, user_id: &str) -> Result<Graph> {
    let conn = store.connection().await?;
    let entities = load_entities(
        &conn,
        "SELECT id, name, entity_type FROM entities WHERE user_id = ?1 ORDER BY id",
        "SELECT o.entity_id, o.content FROM observations o JOIN entities e ON e.id = o.entity_id \
         WHERE e.user_id = ?1 ORDER BY o.id",
        vec![user_id.into()],
    )
    .await?;
    let rows = conn
        .query(
            "SELECT from_entity, to_entity, relation_type FROM relations WHERE user_id = ?1 ORDER BY id",
            [user_id],
        )
        .await?;
    Ok(Graph {
        entities,
        relations: collect(rows, decode_relation).await?,
    })
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
        entities.push(entity);
    }
    if entities.is_empty() {
        return Ok(entities);
    }
    let rows = conn.query(observations_sql, params).await?;
    for (entity_id, content) in collect(rows, |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?))).await? {
        if let Some(&i) = index.get(&entity_id) {
            entities[i].observations.push(content);
        }
    }
    Ok(entities)
}
