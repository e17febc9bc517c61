//! `POST /api/mcp` bodies: JSON-RPC parsing and MCP dispatch, all the way into the tools and a
//! real (temporary) database, as an authenticated user with every scope. Reaches the tool
//! argument parsers, the list cursor decoder and the FTS5 query escaper.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mcp_oauth::mcp::{self, McpOutcome};
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
    let outcome =
        w.rt.block_on(mcp::handle_message(&w.store, &w.principal, data, 1_700_000_000));
    match outcome {
        Ok(McpOutcome::Reply(r) | McpOutcome::Rejected(r)) => {
            serde_json::to_vec(&r).expect("every response serializes");
        }
        Ok(_) => {}
        // A client can never make the database fail.
        Err(e) => panic!("database error from a client message: {e}"),
    }
});
