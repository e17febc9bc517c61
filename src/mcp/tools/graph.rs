//! The knowledge-graph tools, with the names, input shapes, results and semantics of the
//! reference MCP memory server (`@modelcontextprotocol/server-memory`), so prompts written for
//! it work here: entities `{name, entityType, observations}`, relations
//! `{from, to, relationType}`; creating skips what exists; `add_observations` and
//! `create_relations` fail on an unknown entity and then change nothing; deleting an entity
//! deletes its relations; `search_nodes` is a case-insensitive substring match over name, type
//! and observations; `search_nodes` and `open_nodes` return the relations with either end among
//! the entities found.
//!
//! Unlike the reference, sizes are bounded (names, observations, batch lengths) and names must
//! not be empty, and so is each user's graph: at most [`graph::MAX_ENTITIES`] entities,
//! [`graph::MAX_RELATIONS`] relations, [`graph::MAX_OBSERVATIONS`] observations
//! ([`MAX_OBSERVATIONS_PER_ENTITY`] per entity) and [`graph::MAX_BYTES`] bytes of text. A write
//! that would pass a bound is refused with a tool error (`isError: true`) naming it, and writes
//! nothing.
//!
//! Reads are bounded too, so that no call costs the server more than a page: `read_graph`
//! returns at most `limit` entities (default [`READ_GRAPH_DEFAULT_LIMIT`], at most
//! [`READ_GRAPH_MAX_LIMIT`]) and about [`READ_GRAPH_PAGE_BYTES`] of their text, with the
//! relations starting at them; when there is more it adds `truncated: true`, `nextCursor` and a
//! `message` saying to call again with `{"cursor": nextCursor}`. Without arguments, a graph
//! that fits in one page reads exactly as before. `search_nodes` matches in SQL (see
//! [`graph::search_candidates`]) and returns at most [`MAX_SEARCH_RESULTS`] entities, with
//! `truncated: true` and a `message` when there were more.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    check_count, check_text, parse_arguments, Context, Tool, ToolError, ToolSpec, ADD, DELETE, READ,
};
use crate::oauth::scope::Scope;
use crate::storage::graph::{self, Entity, Graph, GraphError, ObservationBatch, Relation};

pub const MAX_BATCH: usize = 100;
pub const MAX_NAME_CHARS: usize = 256;
pub const MAX_OBSERVATION_CHARS: usize = 4_000;
pub const MAX_OBSERVATIONS_PER_ENTITY: usize = graph::MAX_OBSERVATIONS_PER_ENTITY as usize;
pub const READ_GRAPH_DEFAULT_LIMIT: usize = 500;
pub const READ_GRAPH_MAX_LIMIT: usize = 1_000;
/// Text (UTF-8 bytes of entity names, types and observations) past which a `read_graph` page
/// stops, after its first entity.
pub const READ_GRAPH_PAGE_BYTES: usize = 1024 * 1024;
pub const MAX_SEARCH_RESULTS: usize = 200;
/// As the reference server.
pub const MAX_SEARCH_QUERY_CHARS: usize = 2_048;

pub const SPECS: [ToolSpec; 9] = [
    ToolSpec {
        tool: Tool::CreateEntities,
        name: "create_entities",
        title: "Create Entities",
        description: "Create multiple new entities in the knowledge graph. Entities whose name already exists are skipped; the result lists the ones created.",
        scope: Scope::EntitiesWrite,
        hints: ADD,
        input_schema: create_entities_input,
        output_schema: entities_output,
    },
    ToolSpec {
        tool: Tool::CreateRelations,
        name: "create_relations",
        title: "Create Relations",
        description: "Create multiple new relations between entities in the knowledge graph. Relations should be in active voice. Both ends must be existing entities; relations that already exist are skipped.",
        scope: Scope::EntitiesWrite,
        hints: ADD,
        input_schema: relations_input,
        output_schema: relations_output,
    },
    ToolSpec {
        tool: Tool::AddObservations,
        name: "add_observations",
        title: "Add Observations",
        description: "Add new observations to existing entities in the knowledge graph. Fails, changing nothing, if an entity does not exist.",
        scope: Scope::EntitiesWrite,
        hints: ADD,
        input_schema: add_observations_input,
        output_schema: add_observations_output,
    },
    ToolSpec {
        tool: Tool::DeleteEntities,
        name: "delete_entities",
        title: "Delete Entities",
        description: "Delete multiple entities and their associated relations from the knowledge graph",
        scope: Scope::EntitiesWrite,
        hints: DELETE,
        input_schema: delete_entities_input,
        output_schema: message_output,
    },
    ToolSpec {
        tool: Tool::DeleteObservations,
        name: "delete_observations",
        title: "Delete Observations",
        description: "Delete specific observations from entities in the knowledge graph",
        scope: Scope::EntitiesWrite,
        hints: DELETE,
        input_schema: delete_observations_input,
        output_schema: message_output,
    },
    ToolSpec {
        tool: Tool::DeleteRelations,
        name: "delete_relations",
        title: "Delete Relations",
        description: "Delete multiple relations from the knowledge graph",
        scope: Scope::EntitiesWrite,
        hints: DELETE,
        input_schema: relations_input,
        output_schema: message_output,
    },
    ToolSpec {
        tool: Tool::ReadGraph,
        name: "read_graph",
        title: "Read Graph",
        description: "Read the knowledge graph. A large graph comes in pages: when the result has `truncated: true`, call again with `cursor` set to its `nextCursor` for the rest.",
        scope: Scope::EntitiesRead,
        hints: READ,
        input_schema: read_graph_input,
        output_schema: graph_output,
    },
    ToolSpec {
        tool: Tool::SearchNodes,
        name: "search_nodes",
        title: "Search Nodes",
        description: "Search for nodes in the knowledge graph based on a query (case-insensitive, matched against entity names, types and observation content)",
        scope: Scope::EntitiesRead,
        hints: READ,
        input_schema: search_nodes_input,
        output_schema: graph_output,
    },
    ToolSpec {
        tool: Tool::OpenNodes,
        name: "open_nodes",
        title: "Open Nodes",
        description: "Open specific nodes in the knowledge graph by their names",
        scope: Scope::EntitiesRead,
        hints: READ,
        input_schema: open_nodes_input,
        output_schema: graph_output,
    },
];

fn name_schema(description: &str) -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS, "description": description })
}

fn observations_schema(description: &str) -> Value {
    json!({
        "type": "array", "maxItems": MAX_OBSERVATIONS_PER_ENTITY,
        "items": { "type": "string", "minLength": 1, "maxLength": MAX_OBSERVATION_CHARS },
        "description": description
    })
}

fn entity_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": name_schema("The name of the entity"),
            "entityType": name_schema("The type of the entity"),
            "observations": observations_schema("An array of observation contents associated with the entity"),
        },
        "required": ["name", "entityType", "observations"],
        "additionalProperties": false,
    })
}

fn relation_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "from": name_schema("The name of the entity where the relation starts"),
            "to": name_schema("The name of the entity where the relation ends"),
            "relationType": name_schema("The type of the relation"),
        },
        "required": ["from", "to", "relationType"],
        "additionalProperties": false,
    })
}

fn object_with(field: &str, items: Value) -> Value {
    json!({
        "type": "object",
        "properties": { field: { "type": "array", "maxItems": MAX_BATCH, "items": items } },
        "required": [field],
        "additionalProperties": false,
    })
}

fn create_entities_input() -> Value {
    object_with("entities", entity_schema())
}

fn relations_input() -> Value {
    object_with("relations", relation_schema())
}

fn add_observations_input() -> Value {
    object_with(
        "observations",
        json!({
            "type": "object",
            "properties": {
                "entityName": name_schema("The name of the entity to add the observations to"),
                "contents": observations_schema("An array of observation contents to add"),
            },
            "required": ["entityName", "contents"],
            "additionalProperties": false,
        }),
    )
}

fn delete_entities_input() -> Value {
    object_with("entityNames", json!({ "type": "string" }))
}

fn delete_observations_input() -> Value {
    object_with(
        "deletions",
        json!({
            "type": "object",
            "properties": {
                "entityName": { "type": "string", "description": "The name of the entity containing the observations" },
                "observations": { "type": "array", "items": { "type": "string" }, "description": "An array of observations to delete" },
            },
            "required": ["entityName", "observations"],
            "additionalProperties": false,
        }),
    )
}

fn read_graph_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "cursor": {
                "type": "string",
                "description": "The `nextCursor` of the previous page; omit for the first page"
            },
            "limit": {
                "type": "integer", "minimum": 1, "maximum": READ_GRAPH_MAX_LIMIT,
                "description": "Most entities to return (default 500)"
            }
        },
        "additionalProperties": false,
    })
}

fn search_nodes_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "query": {
                "type": "string", "maxLength": MAX_SEARCH_QUERY_CHARS,
                "description": "The search query to match against entity names, types, and observation content"
            }
        },
        "required": ["query"],
        "additionalProperties": false,
    })
}

fn open_nodes_input() -> Value {
    object_with("names", json!({ "type": "string" }))
}

/// Output schemas describe what the server returns, so they are plain (no input limits).
fn entity_out() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string" },
            "entityType": { "type": "string" },
            "observations": { "type": "array", "items": { "type": "string" } },
        },
        "required": ["name", "entityType", "observations"],
    })
}

fn relation_out() -> Value {
    json!({
        "type": "object",
        "properties": {
            "from": { "type": "string" },
            "to": { "type": "string" },
            "relationType": { "type": "string" },
        },
        "required": ["from", "to", "relationType"],
    })
}

fn entities_output() -> Value {
    json!({
        "type": "object",
        "properties": { "entities": { "type": "array", "items": entity_out() } },
        "required": ["entities"],
    })
}

fn relations_output() -> Value {
    json!({
        "type": "object",
        "properties": { "relations": { "type": "array", "items": relation_out() } },
        "required": ["relations"],
    })
}

fn add_observations_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "entityName": { "type": "string" },
                        "addedObservations": { "type": "array", "items": { "type": "string" } },
                    },
                    "required": ["entityName", "addedObservations"],
                }
            }
        },
        "required": ["results"],
    })
}

fn message_output() -> Value {
    json!({
        "type": "object",
        "properties": { "success": { "type": "boolean" }, "message": { "type": "string" } },
        "required": ["success", "message"],
    })
}

fn graph_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "entities": { "type": "array", "items": entity_out() },
            "relations": { "type": "array", "items": relation_out() },
            "truncated": { "type": "boolean" },
            "nextCursor": { "type": "string" },
            "message": { "type": "string" },
        },
        "required": ["entities", "relations"],
    })
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EntityWire {
    name: String,
    entity_type: String,
    observations: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RelationWire {
    from: String,
    to: String,
    relation_type: String,
}

impl From<Entity> for EntityWire {
    fn from(e: Entity) -> Self {
        EntityWire {
            name: e.name,
            entity_type: e.entity_type,
            observations: e.observations,
        }
    }
}

impl From<Relation> for RelationWire {
    fn from(r: Relation) -> Self {
        RelationWire {
            from: r.from,
            to: r.to,
            relation_type: r.relation_type,
        }
    }
}

impl From<RelationWire> for Relation {
    fn from(r: RelationWire) -> Self {
        Relation {
            from: r.from,
            to: r.to,
            relation_type: r.relation_type,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateEntitiesArgs {
    entities: Vec<EntityWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelationsArgs {
    relations: Vec<RelationWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ObservationAddition {
    entity_name: String,
    contents: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddObservationsArgs {
    observations: Vec<ObservationAddition>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeleteEntitiesArgs {
    entity_names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ObservationDeletion {
    entity_name: String,
    observations: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteObservationsArgs {
    deletions: Vec<ObservationDeletion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadGraphArgs {
    cursor: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchNodesArgs {
    query: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenNodesArgs {
    names: Vec<String>,
}

fn check_observations(tool: &str, observations: &[String]) -> Result<(), ToolError> {
    check_count(
        tool,
        "observations",
        observations.len(),
        MAX_OBSERVATIONS_PER_ENTITY,
    )?;
    observations
        .iter()
        .try_for_each(|o| check_text(tool, "observations[]", o, MAX_OBSERVATION_CHARS))
}

fn check_relations(tool: &str, relations: &[RelationWire]) -> Result<(), ToolError> {
    check_count(tool, "relations", relations.len(), MAX_BATCH)?;
    for r in relations {
        check_text(tool, "from", &r.from, MAX_NAME_CHARS)?;
        check_text(tool, "to", &r.to, MAX_NAME_CHARS)?;
        check_text(tool, "relationType", &r.relation_type, MAX_NAME_CHARS)?;
    }
    Ok(())
}

fn graph_json(g: Graph) -> Value {
    json!({
        "entities": g.entities.into_iter().map(EntityWire::from).collect::<Vec<_>>(),
        "relations": g.relations.into_iter().map(RelationWire::from).collect::<Vec<_>>(),
    })
}

fn graph_error(e: GraphError) -> ToolError {
    match e {
        GraphError::EntityNotFound(_) | GraphError::QuotaExceeded(_) => ToolError::Invalid(e.to_string()),
        GraphError::Store(e) => ToolError::Store(e),
    }
}

pub async fn create_entities(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "create_entities";
    let args: CreateEntitiesArgs = parse_arguments(TOOL, arguments)?;
    check_count(TOOL, "entities", args.entities.len(), MAX_BATCH)?;
    for e in &args.entities {
        check_text(TOOL, "name", &e.name, MAX_NAME_CHARS)?;
        check_text(TOOL, "entityType", &e.entity_type, MAX_NAME_CHARS)?;
        check_observations(TOOL, &e.observations)?;
    }
    let entities: Vec<Entity> = args
        .entities
        .into_iter()
        .map(|e| Entity {
            name: e.name,
            entity_type: e.entity_type,
            observations: e.observations,
        })
        .collect();
    let created = graph::create_entities(ctx.store, ctx.user_id, &entities, ctx.now)
        .await
        .map_err(graph_error)?;
    Ok(json!({ "entities": created.into_iter().map(EntityWire::from).collect::<Vec<_>>() }))
}

pub async fn create_relations(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "create_relations";
    let args: RelationsArgs = parse_arguments(TOOL, arguments)?;
    check_relations(TOOL, &args.relations)?;
    let relations: Vec<Relation> = args.relations.into_iter().map(Relation::from).collect();
    let created = graph::create_relations(ctx.store, ctx.user_id, &relations, ctx.now)
        .await
        .map_err(graph_error)?;
    Ok(json!({ "relations": created.into_iter().map(RelationWire::from).collect::<Vec<_>>() }))
}

pub async fn add_observations(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "add_observations";
    let args: AddObservationsArgs = parse_arguments(TOOL, arguments)?;
    check_count(TOOL, "observations", args.observations.len(), MAX_BATCH)?;
    for o in &args.observations {
        check_text(TOOL, "entityName", &o.entity_name, MAX_NAME_CHARS)?;
        check_observations(TOOL, &o.contents)?;
    }
    let batches: Vec<ObservationBatch> = args
        .observations
        .into_iter()
        .map(|o| ObservationBatch {
            entity_name: o.entity_name,
            observations: o.contents,
        })
        .collect();
    let results = graph::add_observations(ctx.store, ctx.user_id, &batches, ctx.now)
        .await
        .map_err(graph_error)?;
    let results: Vec<Value> = results
        .into_iter()
        .map(|b| json!({ "entityName": b.entity_name, "addedObservations": b.observations }))
        .collect();
    Ok(json!({ "results": results }))
}

pub async fn delete_entities(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "delete_entities";
    let args: DeleteEntitiesArgs = parse_arguments(TOOL, arguments)?;
    check_count(TOOL, "entityNames", args.entity_names.len(), MAX_BATCH)?;
    let outcome = graph::delete_entities(ctx.store, ctx.user_id, &args.entity_names).await?;
    let message = if outcome.not_found.is_empty() {
        "Entities deleted successfully".to_string()
    } else {
        format!(
            "Deleted {} of {} entities. Not found: {}",
            outcome.deleted.len(),
            args.entity_names.len(),
            outcome.not_found.join(", ")
        )
    };
    Ok(json!({ "success": true, "message": message }))
}

pub async fn delete_observations(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "delete_observations";
    let args: DeleteObservationsArgs = parse_arguments(TOOL, arguments)?;
    check_count(TOOL, "deletions", args.deletions.len(), MAX_BATCH)?;
    for d in &args.deletions {
        check_count(
            TOOL,
            "observations",
            d.observations.len(),
            MAX_OBSERVATIONS_PER_ENTITY,
        )?;
    }
    let requested: usize = args.deletions.iter().map(|d| d.observations.len()).sum();
    let batches: Vec<ObservationBatch> = args
        .deletions
        .into_iter()
        .map(|d| ObservationBatch {
            entity_name: d.entity_name,
            observations: d.observations,
        })
        .collect();
    let outcome = graph::delete_observations(ctx.store, ctx.user_id, &batches).await?;
    let message = if outcome.deleted_count as usize == requested {
        "Observations deleted successfully".to_string()
    } else {
        let mut m = format!("Deleted {} of {requested} observations.", outcome.deleted_count);
        if !outcome.missing_entities.is_empty() {
            m.push_str(&format!(
                " Entities not found: {}",
                outcome.missing_entities.join(", ")
            ));
        }
        m
    };
    Ok(json!({ "success": true, "message": message }))
}

pub async fn delete_relations(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "delete_relations";
    let args: RelationsArgs = parse_arguments(TOOL, arguments)?;
    check_count(TOOL, "relations", args.relations.len(), MAX_BATCH)?;
    let requested = args.relations.len();
    let relations: Vec<Relation> = args.relations.into_iter().map(Relation::from).collect();
    let deleted = graph::delete_relations(ctx.store, ctx.user_id, &relations).await?;
    let message = if deleted as usize == requested {
        "Relations deleted successfully".to_string()
    } else {
        format!("Deleted {deleted} of {requested} relations. The rest matched nothing.")
    };
    Ok(json!({ "success": true, "message": message }))
}

pub async fn read_graph(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "read_graph";
    let args: ReadGraphArgs = parse_arguments(TOOL, arguments)?;
    let after = match &args.cursor {
        None => 0,
        Some(c) => c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ToolError::invalid(format!(
                "Invalid arguments for {TOOL}: `cursor` is not a cursor this tool returned; omit it to start from the beginning"
            ))
        })?,
    };
    let limit = args.limit.unwrap_or(READ_GRAPH_DEFAULT_LIMIT);
    if !(1..=READ_GRAPH_MAX_LIMIT).contains(&limit) {
        return Err(ToolError::invalid(format!(
            "Invalid arguments for {TOOL}: `limit` must be between 1 and {READ_GRAPH_MAX_LIMIT}"
        )));
    }
    let page = off_runtime(ctx, move |store, user| async move {
        let page = graph::read_graph_page(&store, &user, after, limit, READ_GRAPH_PAGE_BYTES).await?;
        Ok((graph_json(page.graph), page.next))
    })
    .await?;
    let (mut out, next) = page;
    if let Some(next) = next {
        let cursor = next.to_string();
        out["truncated"] = json!(true);
        out["message"] = json!(format!(
            "The graph has more entities than this page. Call read_graph with {{\"cursor\": \"{cursor}\"}} for the next page; each relation is on the page of the entity it starts from."
        ));
        out["nextCursor"] = json!(cursor);
    }
    Ok(out)
}

pub async fn search_nodes(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "search_nodes";
    let args: SearchNodesArgs = parse_arguments(TOOL, arguments)?;
    let chars = args.query.chars().count();
    if chars > MAX_SEARCH_QUERY_CHARS {
        return Err(ToolError::invalid(format!(
            "Invalid arguments for {TOOL}: `query` is {chars} characters long; the limit is {MAX_SEARCH_QUERY_CHARS}"
        )));
    }
    // SQL finds the candidates (one more than we return, to know whether there are more);
    // the exact semantics are checked here on those few.
    let query = args.query;
    let (mut out, more) = off_runtime(ctx, move |store, user| async move {
        let candidates = graph::search_candidates(&store, &user, &query, MAX_SEARCH_RESULTS + 1).await?;
        let more = candidates.len() > MAX_SEARCH_RESULTS;
        let q = query.to_lowercase();
        let mut entities: Vec<Entity> = candidates.into_iter().filter(|e| entity_matches(e, &q)).collect();
        entities.truncate(MAX_SEARCH_RESULTS);
        let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
        let relations = graph::relations_touching(&store, &user, &names).await?;
        Ok((graph_json(Graph { entities, relations }), more))
    })
    .await?;
    if more {
        out["truncated"] = json!(true);
        out["message"] = json!(format!(
            "More than {MAX_SEARCH_RESULTS} entities match; these are the first {MAX_SEARCH_RESULTS} by creation. Use a more specific query, or read_graph to page through everything."
        ));
    }
    Ok(out)
}

pub async fn open_nodes(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    const TOOL: &str = "open_nodes";
    let args: OpenNodesArgs = parse_arguments(TOOL, arguments)?;
    check_count(TOOL, "names", args.names.len(), MAX_BATCH)?;
    Ok(graph_json(
        graph::open_nodes(ctx.store, ctx.user_id, &args.names).await?,
    ))
}

/// Runs a graph read on the blocking pool. On an embedded database SQLite executes inside the
/// calling thread, so a read's scans, decoding and JSON building would otherwise occupy one of
/// the runtime's few worker threads (and with two users reading, all of them), delaying every
/// other request, `/healthz` included. The work is bounded (quotas, page sizes), so it is
/// never left running long after its caller has gone. At most one fewer than the CPUs (at least
/// one) run at once, whoever asks, so a CPU is always left for the runtime; the rest wait.
async fn off_runtime<T, F, Fut>(ctx: &Context<'_>, work: F) -> Result<T, ToolError>
where
    T: Send + 'static,
    F: FnOnce(crate::storage::Store, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, crate::storage::StoreError>>,
{
    static READERS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let readers = READERS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cpus.saturating_sub(1).max(1))
    });
    // The permit goes with the work: a caller that gives up does not free it early.
    let permit = readers.acquire().await.expect("never closed");
    let (store, user) = (ctx.store.clone(), ctx.user_id.to_string());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        handle.block_on(work(store, user))
    })
    .await
    .map_err(|e| ToolError::Store(crate::storage::StoreError::Sql(format!("graph read failed: {e}"))))?
    .map_err(ToolError::Store)
}

/// Whether the entity's name, type or an observation contains `lower_query` (already
/// lower-cased) ignoring case: the reference server's `search_nodes` test.
pub fn entity_matches(e: &Entity, lower_query: &str) -> bool {
    let hit = |s: &str| s.to_lowercase().contains(lower_query);
    hit(&e.name) || hit(&e.entity_type) || e.observations.iter().any(|o| hit(o))
}

/// The entities whose name, type or an observation contains `query` ignoring case, and the
/// relations with at least one end among them: the reference semantics over a whole graph in
/// memory (the server itself matches in SQL; this is what it must agree with).
pub fn matching(graph: Graph, query: &str) -> Graph {
    let q = query.to_lowercase();
    let entities: Vec<Entity> = graph
        .entities
        .into_iter()
        .filter(|e| entity_matches(e, &q))
        .collect();
    let relations = graph
        .relations
        .into_iter()
        .filter(|r| entities.iter().any(|e| e.name == r.from || e.name == r.to))
        .collect();
    Graph { entities, relations }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(name: &str, ty: &str, obs: &[&str]) -> Entity {
        Entity {
            name: name.into(),
            entity_type: ty.into(),
            observations: obs.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn relation(from: &str, to: &str) -> Relation {
        Relation {
            from: from.into(),
            to: to.into(),
            relation_type: "knows".into(),
        }
    }

    fn sample() -> Graph {
        Graph {
            entities: vec![
                entity("Alice", "person", &["Likes ÉCLAIRS"]),
                entity("Bob", "person", &[]),
                entity("Acme", "Company", &[]),
            ],
            relations: vec![relation("Alice", "Bob"), relation("Bob", "Acme")],
        }
    }

    #[test]
    fn search_matches_name_type_and_observations_ignoring_case() {
        let names = |q: &str| -> Vec<String> {
            matching(sample(), q)
                .entities
                .into_iter()
                .map(|e| e.name)
                .collect()
        };
        assert_eq!(names("ALI"), ["Alice"]);
        assert_eq!(names("company"), ["Acme"]);
        assert_eq!(names("éclairs"), ["Alice"]);
        assert_eq!(names("PERSON"), ["Alice", "Bob"]);
        assert!(names("zebra").is_empty());
    }

    #[test]
    fn search_returns_relations_with_either_end_matching() {
        let g = matching(sample(), "acme");
        assert_eq!(g.relations, vec![relation("Bob", "Acme")]);
    }
}
