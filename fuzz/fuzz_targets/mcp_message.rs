//! `POST /api/mcp` bodies: JSON-RPC parsing and MCP dispatch, all the way into the tools and a
//! real (temporary) database, as an authenticated user with every scope. Reaches the tool
//! argument parsers, the list cursor decoder and the FTS5 query escaper. Every other input is
//! sent as a 2026-07-28 request too (headers naming the body's method), so the stateless
//! pipeline's `_meta` and header checks see it.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mcp_oauth::mcp::{self, Header, McpOutcome, TransportHeaders};
use mcp_oauth::oauth::bearer::Principal;
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::storage::{migrations, DatabaseTarget, Store};

struct World {
    rt: tokio::runtime::Runtime,
    store: Store,
    principal: Principal,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = rt.block_on(async {
            let store = Store::open(&DatabaseTarget::Local(dir.path().join("fuzz.db")))
                .await
                .unwrap();
            migrations::apply_pending(&store).await.unwrap();
            store
        });
        World {
            rt,
            store,
            principal: Principal {
                user_id: "fuzz".into(),
                client_id: Some("mcp_oauth_fuzz".into()),
                scopes: ScopeSet::all(),
            },
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let headers = if data.first().is_some_and(|b| b % 2 == 1) {
        let method = serde_json::from_slice::<serde_json::Value>(data)
            .ok()
            .and_then(|v| v.get("method").and_then(|m| m.as_str()).map(str::to_string));
        TransportHeaders {
            protocol_version: Header::Text("2026-07-28".into()),
            method: method.map_or(Header::Absent, Header::Text),
            name: Header::Absent,
        }
    } else {
        TransportHeaders::default()
    };
    let outcome = w.rt.block_on(mcp::handle_message(
        &w.store,
        &w.principal,
        &headers,
        data,
        1_700_000_000,
    ));
    match outcome {
        Ok(McpOutcome::Reply(r) | McpOutcome::Rejected(r) | McpOutcome::NotFound(r)) => {
            serde_json::to_vec(&r).expect("every response serializes");
        }
        Ok(_) => {}
        // A client can never make the database fail.
        Err(e) => panic!("database error from a client message: {e}"),
    }
});
