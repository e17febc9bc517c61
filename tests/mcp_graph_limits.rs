//! Attacks on the knowledge graph's size: one user filling their graph so that reading or
//! searching it stalls the server. Each pins a per-user quota (refused with a tool error naming
//! it, nothing written), the paging of `read_graph`, or `search_nodes` answering from SQL with
//! the reference semantics. Graphs near a limit are seeded straight into the database (the
//! triggers of migration 0009 keep the usage counts as a tool call would).

#[path = "common/mcp.rs"]
mod harness;

use std::collections::HashSet;

use harness::{McpClient, TestServer};
use mcp_oauth::mcp::tools::graph::{matching, MAX_SEARCH_RESULTS, READ_GRAPH_DEFAULT_LIMIT};
use mcp_oauth::storage::graph::{
    Entity, Graph, Relation, MAX_BYTES, MAX_ENTITIES, MAX_OBSERVATIONS_PER_ENTITY, MAX_RELATIONS,
};
use mcp_oauth::storage::{scalar_i64, Store};
use serde_json::{json, Value};

fn entity(name: &str, ty: &str, observations: &[&str]) -> Value {
    json!({ "name": name, "entityType": ty, "observations": observations })
}

/// `count` entities `{prefix}{i}` of type `t` for `user`, in one statement.
async fn seed_entities(store: &Store, user: &str, prefix: &str, count: i64) {
    store
        .execute_write(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3) \
             INSERT INTO entities (user_id, name, entity_type, created_at) \
             SELECT ?1, ?2 || i, 't', 0 FROM n",
            libsql::params![user, prefix, count],
        )
        .await
        .expect("seed entities");
}

/// `per_entity` observations of `size` bytes on each of `user`'s entities named `{prefix}…`.
async fn seed_observations(store: &Store, user: &str, prefix: &str, per_entity: i64, size: i64) {
    store
        .execute_write(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3) \
             INSERT INTO observations (entity_id, content, created_at) \
             SELECT e.id, substr(e.name || '-' || n.i || '-' || printf('%.*c', ?4, 'x'), 1, ?4), 0 \
             FROM entities e, n WHERE e.user_id = ?1 AND e.name LIKE ?2 || '%'",
            libsql::params![user, prefix, per_entity, size],
        )
        .await
        .expect("seed observations");
}

async fn count(store: &Store, sql: &str, user: &str) -> i64 {
    let conn = store.connection().await.expect("connection");
    scalar_i64(&conn, sql, [user]).await.expect("count")
}

/// Rows of `user`'s graph: (entities, observations, relations), straight from the tables.
async fn rows(store: &Store, user: &str) -> (i64, i64, i64) {
    (
        count(store, "SELECT count(*) FROM entities WHERE user_id = ?1", user).await,
        count(
            store,
            "SELECT count(*) FROM observations o JOIN entities e ON e.id = o.entity_id WHERE e.user_id = ?1",
            user,
        )
        .await,
        count(store, "SELECT count(*) FROM relations WHERE user_id = ?1", user).await,
    )
}

// ---- quotas --------------------------------------------------------------------------------

#[tokio::test]
async fn creating_entities_past_the_per_user_quota_is_refused_and_writes_nothing() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed_entities(&t.store, "alice", "e", MAX_ENTITIES - 1).await;
    let before = rows(&t.store, "alice").await;
    let message = c
        .call_err(
            "create_entities",
            json!({"entities": [entity("new1", "t", &["o"]), entity("new2", "t", &[])]}),
        )
        .await;
    assert!(
        message.contains(&format!("at most {MAX_ENTITIES} entities")),
        "{message}"
    );
    assert!(message.contains("Nothing was written"), "{message}");
    assert_eq!(rows(&t.store, "alice").await, before);
    // Up to the limit is fine, and another user's quota is their own.
    c.call_ok("create_entities", json!({"entities": [entity("new1", "t", &[])]}))
        .await;
    assert_eq!(rows(&t.store, "alice").await.0, MAX_ENTITIES);
    let bob = t.user("bob").await;
    bob.call_ok("create_entities", json!({"entities": [entity("b", "t", &[])]}))
        .await;
}

#[tokio::test]
async fn observations_past_the_per_entity_quota_are_refused_and_the_whole_batch_writes_nothing() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    c.call_ok(
        "create_entities",
        json!({"entities": [entity("full", "t", &[]), entity("other", "t", &[])]}),
    )
    .await;
    for half in 0..2 {
        let obs: Vec<String> = (0..MAX_OBSERVATIONS_PER_ENTITY / 2)
            .map(|i| format!("fact {half}-{i}"))
            .collect();
        c.call_ok(
            "add_observations",
            json!({"observations": [{"entityName": "full", "contents": obs}]}),
        )
        .await;
    }
    let before = rows(&t.store, "alice").await;
    let message = c
        .call_err(
            "add_observations",
            json!({"observations": [
                {"entityName": "other", "contents": ["fine"]},
                {"entityName": "full", "contents": ["one too many"]},
            ]}),
        )
        .await;
    assert!(
        message.contains(&format!(
            "at most {MAX_OBSERVATIONS_PER_ENTITY} observations; this call would bring full to 101"
        )),
        "{message}"
    );
    assert_eq!(
        rows(&t.store, "alice").await,
        before,
        "`other` got nothing either"
    );
}

#[tokio::test]
async fn relations_past_the_per_user_quota_are_refused_and_write_nothing() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed_entities(&t.store, "alice", "e", 100).await;
    t.store
        .execute_write(
            "INSERT INTO relations (user_id, from_entity, to_entity, relation_type, created_at) \
             SELECT ?1, a.name, b.name, 'r', 0 FROM entities a, entities b \
             WHERE a.user_id = ?1 AND b.user_id = ?1",
            ["alice"],
        )
        .await
        .expect("seed relations");
    assert_eq!(rows(&t.store, "alice").await.2, MAX_RELATIONS);
    let before = rows(&t.store, "alice").await;
    let message = c
        .call_err(
            "create_relations",
            json!({"relations": [{"from": "e1", "to": "e2", "relationType": "new"}]}),
        )
        .await;
    assert!(
        message.contains(&format!(
            "at most {MAX_RELATIONS} relations; this call would bring it to {}",
            MAX_RELATIONS + 1
        )),
        "{message}"
    );
    assert_eq!(rows(&t.store, "alice").await, before);
}

#[tokio::test]
async fn text_past_the_per_user_byte_quota_is_refused_and_writes_nothing() {
    let t = TestServer::start_with(|c| c.max_body_bytes = 1024 * 1024).await;
    let c = t.user("alice").await;
    // 2,000 observations of 4,000 bytes: 8,000,000 of the 8 MiB.
    seed_entities(&t.store, "alice", "big", 20).await;
    seed_observations(&t.store, "alice", "big", 100, 4_000).await;
    c.call_ok("create_entities", json!({"entities": [entity("more", "t", &[])]}))
        .await;
    let before = rows(&t.store, "alice").await;
    let contents: Vec<String> = (0..100).map(|i| format!("{i:04}{}", "y".repeat(3_996))).collect();
    let message = c
        .call_err(
            "add_observations",
            json!({"observations": [{"entityName": "more", "contents": contents}]}),
        )
        .await;
    assert!(
        message.contains(&format!("at most {MAX_BYTES} bytes of text")),
        "{message}"
    );
    assert_eq!(rows(&t.store, "alice").await, before);
    // The usage row the quota reads agrees with the tables after the refusal.
    let bytes = count(
        &t.store,
        "SELECT bytes FROM graph_usage WHERE user_id = ?1",
        "alice",
    )
    .await;
    let summed = count(
        &t.store,
        "SELECT (SELECT sum(length(name) + length(entity_type)) FROM entities WHERE user_id = ?1) \
         + (SELECT sum(length(o.content)) FROM observations o JOIN entities e ON e.id = o.entity_id \
            WHERE e.user_id = ?1)",
        "alice",
    )
    .await;
    assert_eq!(bytes, summed);
}

// ---- read_graph ----------------------------------------------------------------------------

/// Every page of `read_graph` from the first, following `nextCursor`.
async fn all_pages(c: &McpClient, limit: Option<usize>) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({});
        if let Some(cur) = &cursor {
            args["cursor"] = json!(cur);
        }
        if let Some(l) = limit {
            args["limit"] = json!(l);
        }
        let page = c.call_ok("read_graph", args).await;
        cursor = page["nextCursor"].as_str().map(str::to_string);
        let more = cursor.is_some();
        assert_eq!(
            page["truncated"].as_bool().unwrap_or(false),
            more,
            "{}",
            page["message"]
        );
        pages.push(page);
        if !more {
            return pages;
        }
        assert!(pages.len() < 100, "paging never ends");
    }
}

#[tokio::test]
async fn read_graph_of_a_large_graph_is_capped_and_pages_through_everything_once() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed_entities(&t.store, "alice", "e", 1_200).await;
    t.store
        .execute_write(
            "INSERT INTO relations (user_id, from_entity, to_entity, relation_type, created_at) \
             SELECT ?1, name, 'e0', 'points_to', 0 FROM entities WHERE user_id = ?1",
            ["alice"],
        )
        .await
        .expect("relations");
    let first = c.call_ok("read_graph", json!({})).await;
    assert_eq!(
        first["entities"].as_array().unwrap().len(),
        READ_GRAPH_DEFAULT_LIMIT
    );
    assert_eq!(first["truncated"], true);
    let message = first["message"].as_str().unwrap();
    let cursor = first["nextCursor"].as_str().unwrap();
    assert!(
        message.contains(&format!("{{\"cursor\": \"{cursor}\"}}")),
        "{message}"
    );

    let pages = all_pages(&c, Some(1_000)).await;
    assert_eq!(pages.len(), 2);
    let mut names = HashSet::new();
    let mut relations = HashSet::new();
    for p in &pages {
        for e in p["entities"].as_array().unwrap() {
            assert!(
                names.insert(e["name"].as_str().unwrap().to_string()),
                "entity twice: {e}"
            );
        }
        for r in p["relations"].as_array().unwrap() {
            assert!(relations.insert(r.to_string()), "relation twice: {r}");
        }
    }
    assert_eq!(names.len(), 1_200);
    assert_eq!(relations.len(), 1_200);

    for bad in [
        json!({"cursor": "abc"}),
        json!({"cursor": "-1"}),
        json!({"limit": 0}),
        json!({"limit": 1_001}),
    ] {
        c.call_err("read_graph", bad).await;
    }
}

#[tokio::test]
async fn read_graph_pages_stop_at_about_a_mebibyte_of_text() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    // Five entities of 100 × 4,000 bytes: two fit in a 1 MiB page, not three.
    seed_entities(&t.store, "alice", "fat", 5).await;
    seed_observations(&t.store, "alice", "fat", 100, 4_000).await;
    let pages = all_pages(&c, None).await;
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["entities"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    for p in &pages {
        for e in p["entities"].as_array().unwrap() {
            assert_eq!(e["observations"].as_array().unwrap().len(), 100);
        }
    }
}

#[tokio::test]
async fn read_graph_of_a_small_graph_is_unchanged_by_paging() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    c.call_ok(
        "create_entities",
        json!({"entities": [entity("A", "t", &["x"]), entity("B", "t", &[])]}),
    )
    .await;
    c.call_ok(
        "create_relations",
        json!({"relations": [{"from": "B", "to": "A", "relationType": "r"}, {"from": "A", "to": "B", "relationType": "r"}]}),
    )
    .await;
    assert_eq!(
        c.call_ok("read_graph", json!({})).await,
        json!({
            "entities": [entity("A", "t", &["x"]), entity("B", "t", &[])],
            "relations": [
                {"from": "B", "to": "A", "relationType": "r"},
                {"from": "A", "to": "B", "relationType": "r"},
            ],
        })
    );
}

// ---- search_nodes --------------------------------------------------------------------------

fn to_graph(v: &Value) -> Graph {
    Graph {
        entities: v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Entity {
                name: e["name"].as_str().unwrap().into(),
                entity_type: e["entityType"].as_str().unwrap().into(),
                observations: e["observations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_str().unwrap().into())
                    .collect(),
            })
            .collect(),
        relations: v["relations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| Relation {
                from: r["from"].as_str().unwrap().into(),
                to: r["to"].as_str().unwrap().into(),
                relation_type: r["relationType"].as_str().unwrap().into(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn search_nodes_in_sql_agrees_with_the_reference_semantics_on_a_small_graph() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let other = t.user("mallory").await;
    c.call_ok(
        "create_entities",
        json!({"entities": [
            entity("Alice", "person", &["Likes ÉCLAIRS", "50% off"]),
            entity("Bob", "person", &["said \"hi\" to_me"]),
            entity("Acme", "Company", &[]),
            entity("Zoë", "ПЕРСОНА", &["x"]),
        ]}),
    )
    .await;
    c.call_ok(
        "create_relations",
        json!({"relations": [
            {"from": "Alice", "to": "Bob", "relationType": "knows"},
            {"from": "Bob", "to": "Acme", "relationType": "works_at"},
        ]}),
    )
    .await;
    other
        .call_ok(
            "create_entities",
            json!({"entities": [entity("Alice2", "person", &["éclairs"])]}),
        )
        .await;
    let whole = to_graph(&c.call_ok("read_graph", json!({})).await);
    for q in [
        "",
        "a",
        "A",
        "al",
        "ALI",
        "company",
        "éclairs",
        "É",
        "é",
        "ë",
        "ЕРС",
        "персона",
        "%",
        "50%",
        "_",
        "to_",
        "\"hi\"",
        "\"",
        "ob\" OR \"x",
        "NEAR(a b)",
        "zebra",
        "person",
        "e",
        "Bob",
        " ",
        "d \"h",
    ] {
        let got = c.call_ok("search_nodes", json!({"query": q})).await;
        assert_eq!(to_graph(&got), matching(whole.clone(), q), "query {q:?}");
    }
}

#[tokio::test]
async fn search_nodes_on_a_graph_with_many_entities_finds_the_match_and_caps_the_rest() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed_entities(&t.store, "alice", "item-", 3_000).await;
    seed_observations(&t.store, "alice", "item-", 2, 40).await;
    seed_entities(&t.store, "bob", "item-", 10).await;
    let one = c.call_ok("search_nodes", json!({"query": "ITEM-2999"})).await;
    let names: Vec<&str> = one["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["item-2999"]);
    assert!(one.get("truncated").is_none());
    // Found through an observation ("item-1234-1-xxx…"), case-insensitively.
    let by_obs = c.call_ok("search_nodes", json!({"query": "M-1234-1-X"})).await;
    assert_eq!(by_obs["entities"][0]["name"], "item-1234");
    assert_eq!(by_obs["entities"].as_array().unwrap().len(), 1);

    for q in ["item", "it"] {
        let many = c.call_ok("search_nodes", json!({"query": q})).await;
        assert_eq!(
            many["entities"].as_array().unwrap().len(),
            MAX_SEARCH_RESULTS,
            "{q}"
        );
        assert_eq!(many["entities"][0]["name"], "item-0");
        assert_eq!(many["truncated"], true);
        assert!(many["message"].as_str().unwrap().contains("more specific"));
    }
}
