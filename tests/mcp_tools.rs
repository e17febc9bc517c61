//! The memory tools over `/api/mcp`: full-text memories, the knowledge graph with the semantics
//! of `@modelcontextprotocol/server-memory`, size limits, and per-user isolation.

#[path = "common/mcp.rs"]
mod harness;

use harness::{McpClient, TestServer};
use serde_json::{json, Value};

fn contents(memories: &Value) -> Vec<String> {
    memories
        .as_array()
        .expect("array of memories")
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

async fn add(c: &McpClient, content: &str) -> Value {
    c.call_ok("add_memory", json!({ "content": content })).await
}

// ---- memories ------------------------------------------------------------------------------

#[tokio::test]
async fn add_memory_returns_the_stored_memory_with_its_id() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let m = c
        .call_ok(
            "add_memory",
            json!({"content": "Prefers tea over coffee", "tags": ["drinks", " drinks ", "prefs"]}),
        )
        .await;
    assert!(m["id"].as_i64().unwrap() > 0);
    assert_eq!(m["content"], "Prefers tea over coffee");
    assert_eq!(
        m["tags"],
        json!(["drinks", "prefs"]),
        "tags are trimmed and deduplicated"
    );
    assert!(m["createdAt"].as_str().unwrap().ends_with('Z'));
    let listed = c.call_ok("list_memories", json!({})).await;
    assert_eq!(listed["memories"], json!([m]));
}

#[tokio::test]
async fn add_memory_enforces_content_and_tag_limits_with_clear_errors() {
    let t = TestServer::start_with(|c| c.max_body_bytes = 256 * 1024).await;
    let c = t.user("alice").await;
    let empty = c.call_err("add_memory", json!({"content": "   "})).await;
    assert!(empty.contains("`content` must not be empty"), "{empty}");
    let long = c
        .call_err("add_memory", json!({"content": "x".repeat(10_001)}))
        .await;
    assert!(
        long.contains("10001 characters long; the limit is 10000"),
        "{long}"
    );
    let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let many = c
        .call_err("add_memory", json!({"content": "x", "tags": tags}))
        .await;
    assert!(many.contains("`tags` has 21 items; the limit is 20"), "{many}");
    let long_tag = c
        .call_err("add_memory", json!({"content": "x", "tags": ["y".repeat(65)]}))
        .await;
    assert!(long_tag.contains("tags[]"), "{long_tag}");
    assert_eq!(c.call_ok("list_memories", json!({})).await["memories"], json!([]));
}

#[tokio::test]
async fn search_memories_ranks_the_better_match_first() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    add(&c, "The garden has roses").await;
    add(&c, "Rust borrow checker notes: lifetimes and the borrow checker").await;
    add(&c, "Bought a rust-coloured sofa").await;
    add(&c, "Unrelated note about lunch").await;
    let found = c
        .call_ok("search_memories", json!({"query": "rust borrow checker"}))
        .await;
    assert_eq!(
        contents(&found["memories"]),
        [
            "Rust borrow checker notes: lifetimes and the borrow checker",
            "Bought a rust-coloured sofa"
        ]
    );
    let tagged = c
        .call_ok("add_memory", json!({"content": "Call mum", "tags": ["family"]}))
        .await;
    let by_tag = c.call_ok("search_memories", json!({"query": "FAMILY"})).await;
    assert_eq!(
        by_tag["memories"],
        json!([tagged]),
        "tags are searched, case-insensitively"
    );
    let limited = c
        .call_ok("search_memories", json!({"query": "rust", "limit": 1}))
        .await;
    assert_eq!(limited["memories"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_search_repeated_on_reused_prepared_statements_answers_the_same_and_sees_new_memories() {
    // The search statement is prepared once per pooled connection and reset after each use:
    // the same query gives the same ranked answer every time, and never an older snapshot.
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let words = ["amber", "birch", "cedar", "dune", "ember", "fjord"];
    for i in 0..30 {
        let content = format!(
            "{} {} {}",
            words[i % 6],
            words[(i * 5 + 1) % 6],
            words[(i / 6) % 6]
        );
        add(&c, &content).await;
    }
    let queries = ["amber cedar", "fjord", "birch dune ember", "nothing-matches"];
    let mut first = Vec::new();
    for q in queries {
        first.push(
            c.call_ok("search_memories", json!({"query": q, "limit": 7}))
                .await,
        );
    }
    for _ in 0..3 {
        for (q, expected) in queries.iter().zip(&first) {
            let again = c
                .call_ok("search_memories", json!({"query": q, "limit": 7}))
                .await;
            assert_eq!(&again, expected, "{q}");
        }
    }
    assert_eq!(first[3]["memories"], json!([]));
    let best = c
        .call_ok("add_memory", json!({"content": "fjord fjord fjord fjord"}))
        .await;
    let now = c
        .call_ok("search_memories", json!({"query": "fjord", "limit": 7}))
        .await;
    assert_eq!(now["memories"][0], best, "a memory added since is found at once");
}

#[tokio::test]
async fn fts_syntax_in_a_query_cannot_cause_a_server_error() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    add(&c, "near the AND gate").await;
    for query in [
        "\"unbalanced",
        "NEAR(",
        "*",
        "AND OR NOT",
        "content:secret",
        "^start",
        "a\"b'c",
        "(((",
        "-",
        "{x y}",
    ] {
        let r = c.call("search_memories", json!({"query": query})).await;
        assert_eq!(r["isError"], false, "{query:?}: {r}");
    }
    let found = c.call_ok("search_memories", json!({"query": "NEAR( AND"})).await;
    assert_eq!(contents(&found["memories"]), ["near the AND gate"]);
    let empty = c.call_err("search_memories", json!({"query": ""})).await;
    assert!(empty.contains("`query` must not be empty"), "{empty}");
}

#[tokio::test]
async fn list_memories_pages_newest_first_with_an_opaque_cursor() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for i in 1..=5 {
        add(&c, &format!("memory {i}")).await;
    }
    let page1 = c.call_ok("list_memories", json!({"limit": 2})).await;
    assert_eq!(contents(&page1["memories"]), ["memory 5", "memory 4"]);
    let cursor = page1["nextCursor"].as_str().unwrap().to_string();
    assert!(
        cursor.parse::<i64>().is_err(),
        "the cursor is opaque, not a bare id"
    );
    // A memory added between pages does not shift the next page.
    add(&c, "memory 6").await;
    let page2 = c
        .call_ok("list_memories", json!({"limit": 2, "cursor": cursor}))
        .await;
    assert_eq!(contents(&page2["memories"]), ["memory 3", "memory 2"]);
    let page3 = c
        .call_ok(
            "list_memories",
            json!({"limit": 2, "cursor": page2["nextCursor"]}),
        )
        .await;
    assert_eq!(contents(&page3["memories"]), ["memory 1"]);
    assert!(page3.get("nextCursor").is_none(), "the last page has no cursor");
}

#[tokio::test]
async fn list_memories_refuses_a_forged_cursor_and_an_out_of_range_limit() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let forged = c.call_err("list_memories", json!({"cursor": "12"})).await;
    assert!(
        forged.contains("`cursor` is not one this server returned"),
        "{forged}"
    );
    let zero = c.call_err("list_memories", json!({"limit": 0})).await;
    assert!(zero.contains("between 1 and 100"), "{zero}");
    let big = c.call_err("list_memories", json!({"limit": 101})).await;
    assert!(big.contains("between 1 and 100"), "{big}");
}

#[tokio::test]
async fn delete_memory_removes_it_from_list_and_search() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let keep = add(&c, "keep this zebra").await;
    let gone = add(&c, "forget this zebra").await;
    let d = c.call_ok("delete_memory", json!({"id": gone["id"]})).await;
    assert_eq!(d, json!({"id": gone["id"], "deleted": true}));
    assert_eq!(
        c.call_ok("list_memories", json!({})).await["memories"],
        json!([keep])
    );
    let found = c.call_ok("search_memories", json!({"query": "zebra"})).await;
    assert_eq!(found["memories"], json!([keep]));
    let again = c.call_err("delete_memory", json!({"id": gone["id"]})).await;
    assert!(again.contains("No memory with id"), "{again}");
}

// ---- knowledge graph -----------------------------------------------------------------------

fn entity(name: &str, ty: &str, observations: &[&str]) -> Value {
    json!({ "name": name, "entityType": ty, "observations": observations })
}

fn relation(from: &str, to: &str, ty: &str) -> Value {
    json!({ "from": from, "to": to, "relationType": ty })
}

async fn seed(c: &McpClient) {
    c.call_ok(
        "create_entities",
        json!({"entities": [
            entity("Alice", "person", &["Likes tea"]),
            entity("Bob", "person", &["Plays chess"]),
            entity("Acme", "company", &["Makes anvils"]),
        ]}),
    )
    .await;
    c.call_ok(
        "create_relations",
        json!({"relations": [
            relation("Alice", "Acme", "works_at"),
            relation("Bob", "Alice", "knows"),
        ]}),
    )
    .await;
}

#[tokio::test]
async fn create_entities_skips_existing_names_and_duplicates_in_the_batch() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let first = c
        .call_ok(
            "create_entities",
            json!({"entities": [entity("Alice", "person", &["a", "a"])]}),
        )
        .await;
    assert_eq!(first, json!({"entities": [entity("Alice", "person", &["a"])]}));
    let second = c
        .call_ok(
            "create_entities",
            json!({"entities": [
                entity("Alice", "robot", &["changed?"]),
                entity("Bob", "person", &[]),
                entity("Bob", "duplicate", &["x"]),
            ]}),
        )
        .await;
    assert_eq!(second, json!({"entities": [entity("Bob", "person", &[])]}));
    let graph = c.call_ok("read_graph", json!({})).await;
    assert_eq!(
        graph["entities"],
        json!([entity("Alice", "person", &["a"]), entity("Bob", "person", &[])]),
        "an existing entity is not changed by a create"
    );
}

#[tokio::test]
async fn create_relations_skips_duplicates_and_needs_both_ends_to_exist() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed(&c).await;
    let created = c
        .call_ok(
            "create_relations",
            json!({"relations": [
                relation("Alice", "Acme", "works_at"),
                relation("Bob", "Acme", "works_at"),
                relation("Bob", "Acme", "works_at"),
            ]}),
        )
        .await;
    assert_eq!(
        created,
        json!({"relations": [relation("Bob", "Acme", "works_at")]})
    );
    let missing = c
        .call_err(
            "create_relations",
            json!({"relations": [relation("Bob", "Carol", "knows"), relation("Alice", "Bob", "knows")]}),
        )
        .await;
    assert_eq!(missing, "Entity with name Carol not found");
    let graph = c.call_ok("read_graph", json!({})).await;
    assert_eq!(
        graph["relations"],
        json!([
            relation("Alice", "Acme", "works_at"),
            relation("Bob", "Alice", "knows"),
            relation("Bob", "Acme", "works_at"),
        ]),
        "a failed create_relations creates nothing"
    );
}

#[tokio::test]
async fn add_observations_adds_only_new_ones_and_an_unknown_entity_fails_the_whole_call() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed(&c).await;
    let added = c
        .call_ok(
            "add_observations",
            json!({"observations": [
                {"entityName": "Alice", "contents": ["Likes tea", "Runs marathons"]},
                {"entityName": "Bob", "contents": ["Owns a cat"]},
            ]}),
        )
        .await;
    assert_eq!(
        added,
        json!({"results": [
            {"entityName": "Alice", "addedObservations": ["Runs marathons"]},
            {"entityName": "Bob", "addedObservations": ["Owns a cat"]},
        ]})
    );
    let failed = c
        .call_err(
            "add_observations",
            json!({"observations": [
                {"entityName": "Alice", "contents": ["Should not be kept"]},
                {"entityName": "Nobody", "contents": ["x"]},
            ]}),
        )
        .await;
    assert_eq!(failed, "Entity with name Nobody not found");
    let alice = c.call_ok("open_nodes", json!({"names": ["Alice"]})).await;
    assert_eq!(
        alice["entities"][0]["observations"],
        json!(["Likes tea", "Runs marathons"])
    );
}

#[tokio::test]
async fn delete_entities_cascades_to_their_relations_and_observations() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed(&c).await;
    let d = c
        .call_ok("delete_entities", json!({"entityNames": ["Alice", "Ghost"]}))
        .await;
    assert_eq!(
        d,
        json!({"success": true, "message": "Deleted 1 of 2 entities. Not found: Ghost"})
    );
    let graph = c.call_ok("read_graph", json!({})).await;
    assert_eq!(
        graph,
        json!({
            "entities": [entity("Bob", "person", &["Plays chess"]), entity("Acme", "company", &["Makes anvils"])],
            "relations": [],
        }),
        "both relations touching Alice are gone"
    );
    c.call_ok(
        "create_entities",
        json!({"entities": [entity("Alice", "person", &[])]}),
    )
    .await;
    let reborn = c.call_ok("open_nodes", json!({"names": ["Alice"]})).await;
    assert_eq!(
        reborn["entities"],
        json!([entity("Alice", "person", &[])]),
        "no stale observations"
    );
    let ok = c
        .call_ok("delete_entities", json!({"entityNames": ["Alice"]}))
        .await;
    assert_eq!(ok["message"], "Entities deleted successfully");
}

#[tokio::test]
async fn delete_observations_removes_the_named_ones_and_reports_what_matched() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed(&c).await;
    c.call_ok(
        "add_observations",
        json!({"observations": [{"entityName": "Alice", "contents": ["Runs"]}]}),
    )
    .await;
    let all = c
        .call_ok(
            "delete_observations",
            json!({"deletions": [{"entityName": "Alice", "observations": ["Likes tea"]}]}),
        )
        .await;
    assert_eq!(all["message"], "Observations deleted successfully");
    let partial = c
        .call_ok(
            "delete_observations",
            json!({"deletions": [
                {"entityName": "Alice", "observations": ["Runs", "Never said"]},
                {"entityName": "Ghost", "observations": ["x"]},
            ]}),
        )
        .await;
    assert_eq!(
        partial,
        json!({"success": true, "message": "Deleted 1 of 3 observations. Entities not found: Ghost"})
    );
    let alice = c.call_ok("open_nodes", json!({"names": ["Alice"]})).await;
    assert_eq!(alice["entities"][0]["observations"], json!([]));
}

#[tokio::test]
async fn delete_relations_removes_exact_matches_only() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed(&c).await;
    let d = c
        .call_ok(
            "delete_relations",
            json!({"relations": [relation("Alice", "Acme", "works_at"), relation("Alice", "Bob", "knows")]}),
        )
        .await;
    assert_eq!(
        d,
        json!({"success": true, "message": "Deleted 1 of 2 relations. The rest matched nothing."})
    );
    let graph = c.call_ok("read_graph", json!({})).await;
    assert_eq!(graph["relations"], json!([relation("Bob", "Alice", "knows")]));
    assert_eq!(graph["entities"].as_array().unwrap().len(), 3, "entities stay");
}

#[tokio::test]
async fn read_graph_returns_every_entity_and_relation_in_creation_order() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    assert_eq!(
        c.call_ok("read_graph", json!({})).await,
        json!({"entities": [], "relations": []})
    );
    seed(&c).await;
    assert_eq!(
        c.call_ok("read_graph", json!({})).await,
        json!({
            "entities": [
                entity("Alice", "person", &["Likes tea"]),
                entity("Bob", "person", &["Plays chess"]),
                entity("Acme", "company", &["Makes anvils"]),
            ],
            "relations": [relation("Alice", "Acme", "works_at"), relation("Bob", "Alice", "knows")],
        })
    );
}

#[tokio::test]
async fn search_nodes_matches_case_insensitively_and_returns_relations_with_either_end() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed(&c).await;
    let by_observation = c.call_ok("search_nodes", json!({"query": "ANVIL"})).await;
    assert_eq!(
        by_observation,
        json!({
            "entities": [entity("Acme", "company", &["Makes anvils"])],
            "relations": [relation("Alice", "Acme", "works_at")],
        })
    );
    let by_type = c.call_ok("search_nodes", json!({"query": "Person"})).await;
    let names: Vec<&str> = by_type["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alice", "Bob"]);
    assert_eq!(by_type["relations"].as_array().unwrap().len(), 2);
    let none = c.call_ok("search_nodes", json!({"query": "zebra"})).await;
    assert_eq!(none, json!({"entities": [], "relations": []}));
}

#[tokio::test]
async fn open_nodes_returns_the_named_entities_and_relations_touching_them() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    seed(&c).await;
    let opened = c.call_ok("open_nodes", json!({"names": ["Bob", "Nobody"]})).await;
    assert_eq!(
        opened,
        json!({
            "entities": [entity("Bob", "person", &["Plays chess"])],
            "relations": [relation("Bob", "Alice", "knows")],
        })
    );
}

#[tokio::test]
async fn graph_inputs_are_bounded_with_clear_errors() {
    let t = TestServer::start_with(|c| c.max_body_bytes = 1024 * 1024).await;
    let c = t.user("alice").await;
    let many: Vec<Value> = (0..101).map(|i| entity(&format!("e{i}"), "t", &[])).collect();
    let batch = c.call_err("create_entities", json!({"entities": many})).await;
    assert!(
        batch.contains("`entities` has 101 items; the limit is 100"),
        "{batch}"
    );
    let long = c
        .call_err(
            "create_entities",
            json!({"entities": [entity(&"n".repeat(257), "t", &[])]}),
        )
        .await;
    assert!(long.contains("`name` is 257 characters long"), "{long}");
    let empty = c
        .call_err("create_entities", json!({"entities": [entity("", "t", &[])]}))
        .await;
    assert!(empty.contains("`name` must not be empty"), "{empty}");
    let shape = c
        .call_err(
            "create_entities",
            json!({"entities": [{"name": "x", "type": "t"}]}),
        )
        .await;
    assert!(shape.contains("unknown field `type`"), "{shape}");
    assert_eq!(
        c.call_ok("read_graph", json!({})).await,
        json!({"entities": [], "relations": []}),
        "a refused batch creates nothing"
    );
}

// ---- isolation -----------------------------------------------------------------------------

#[tokio::test]
async fn another_user_never_sees_or_changes_my_memories() {
    let t = TestServer::start().await;
    let a = t.user("alice").await;
    let b = t.user("bob").await;
    let secret = add(&a, "alice secret pineapple").await;
    assert_eq!(b.call_ok("list_memories", json!({})).await["memories"], json!([]));
    let searched = b
        .call_ok("search_memories", json!({"query": "pineapple secret"}))
        .await;
    assert_eq!(searched["memories"], json!([]));
    let deleted = b.call_err("delete_memory", json!({"id": secret["id"]})).await;
    assert!(deleted.contains("No memory with id"), "{deleted}");
    let cursor = mcp_oauth::mcp::tools::memories::encode_cursor(secret["id"].as_i64().unwrap() + 1);
    let paged = b.call_ok("list_memories", json!({"cursor": cursor})).await;
    assert_eq!(paged["memories"], json!([]));
    assert_eq!(
        a.call_ok("list_memories", json!({})).await["memories"],
        json!([secret])
    );
}

#[tokio::test]
async fn another_user_never_sees_or_changes_my_graph() {
    let t = TestServer::start().await;
    let a = t.user("alice").await;
    let b = t.user("bob").await;
    seed(&a).await;
    let before = a.call_ok("read_graph", json!({})).await;
    let empty = json!({"entities": [], "relations": []});
    assert_eq!(b.call_ok("read_graph", json!({})).await, empty);
    assert_eq!(b.call_ok("search_nodes", json!({"query": "a"})).await, empty);
    assert_eq!(
        b.call_ok("open_nodes", json!({"names": ["Alice", "Bob"]})).await,
        empty
    );
    let obs = b
        .call_err(
            "add_observations",
            json!({"observations": [{"entityName": "Alice", "contents": ["hacked"]}]}),
        )
        .await;
    assert_eq!(obs, "Entity with name Alice not found");
    let rel = b
        .call_err(
            "create_relations",
            json!({"relations": [relation("Alice", "Bob", "owns")]}),
        )
        .await;
    assert_eq!(rel, "Entity with name Alice not found");
    b.call_ok(
        "delete_entities",
        json!({"entityNames": ["Alice", "Bob", "Acme"]}),
    )
    .await;
    b.call_ok(
        "delete_observations",
        json!({"deletions": [{"entityName": "Alice", "observations": ["Likes tea"]}]}),
    )
    .await;
    b.call_ok(
        "delete_relations",
        json!({"relations": [relation("Bob", "Alice", "knows")]}),
    )
    .await;
    // The same names are free for the other user, and independent.
    let own = b
        .call_ok(
            "create_entities",
            json!({"entities": [entity("Alice", "cat", &["Purrs"])]}),
        )
        .await;
    assert_eq!(own, json!({"entities": [entity("Alice", "cat", &["Purrs"])]}));
    assert_eq!(a.call_ok("read_graph", json!({})).await, before);
}
