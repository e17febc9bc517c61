//! `backup.drill`: a restore drill. With a token issued before it, the database is backed up
//! (`storage::backup::snapshot`, what `mcp-oauth backup` runs), the backup restored into a
//! fresh file (`storage::backup::restore`, what `mcp-oauth restore` runs), this build's server
//! started on the restored file on a loopback port, and the token used there for `tools/list`:
//! the proof that a backup brings back what clients hold, not only rows.
//!
//! The restored server answers as the verified issuer (the token is bound to
//! `<issuer>/api/mcp`) while listening on loopback. Nothing is written to the database backed
//! up; the backup and the restored copy live in a temporary directory that is deleted after.

use serde_json::Value;

use super::checklist::{CheckVerdict, Halt, Verdict};
use super::run::Run;
use super::target::why;
use crate::client::mcp::McpClient;
use crate::http::{AppState, Server, ServerConfig};
use crate::storage::backup::{self, restore};
use crate::storage::{migrations, DatabaseTarget, Store};
use crate::{fail, skip};

pub async fn backup_drill(run: &mut Run) -> CheckVerdict {
    if !run.settings.backup_drill {
        skip!("a restore drill of a deployment needs --backup-drill and --database (its database)");
    }
    let Some(store) = run.given.store.clone() else {
        skip!("needs the deployment's database: give --database with --backup-drill");
    };
    let tokens = run.first_grant().await?;
    let dir = tempfile::Builder::new()
        .prefix("mcp-oauth-drill-")
        .tempdir()
        .map_err(|e| format!("a temporary directory for the drill: {e}"))?;
    let backup_path = dir.path().join("backup.db");
    let snapshot = backup::snapshot(&store, &backup_path, |_| {})
        .await
        .map_err(|e| format!("backup: {e}"))?;
    let checked = restore::check(&backup_path)
        .await
        .map_err(|e| format!("the backup's checks: {e}"))?;
    let restored_path = dir.path().join("restored.db");
    restore::restore_file(&backup_path, &restored_path, false)
        .await
        .map_err(|e| format!("restore into a fresh file: {e}"))?;
    let restored = Store::open(&DatabaseTarget::Local(restored_path.clone()))
        .await
        .map_err(|e| format!("opening the restored database: {e}"))?;
    migrations::ensure_current(&restored)
        .await
        .map_err(|e| format!("the restored database: {e}"))?;
    let after = backup::inspect_file(&restored_path)
        .await
        .map_err(|e| format!("inspecting the restored database: {e}"))?;
    for table in backup::inspect::OAUTH_TABLES {
        if after.rows(table) != checked.rows(table) {
            fail!(
                "{table}: {:?} rows in the backup, {:?} after restoring it",
                checked.rows(table),
                after.rows(table)
            );
        }
    }
    let outcome = tools_list_on(
        &restored,
        &run.target.issuer,
        &run.target.http,
        &tokens.access_token,
    )
    .await;
    drop(restored);
    let tools = outcome?;
    if tools == 0 {
        fail!("tools/list on the restored database listed no tools");
    }
    let _ = snapshot;
    Ok(Verdict::Pass)
}

/// Starts this build's server on `store` (as `issuer`, on loopback) and lists the tools with
/// `token`; returns how many.
async fn tools_list_on(
    store: &Store,
    issuer: &str,
    http: &reqwest::Client,
    token: &str,
) -> Result<usize, Halt> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("binding a loopback port for the restored server: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("the restored server's address: {e}"))?;
    let mut config = ServerConfig::for_listener(addr);
    config.issuer = issuer.to_string();
    let server = Server::start(AppState::new(config, store.clone()), listener)
        .map_err(|e| format!("starting a server on the restored database: {e}"))?;
    let mcp = McpClient::new(http.clone(), &format!("http://{addr}/api/mcp"), Some(token));
    let listed = async {
        mcp.initialize().await.map_err(|e| {
            format!(
                "initialize on the restored database with the token issued before the backup: {}",
                why(&e)
            )
        })?;
        let tools: Vec<Value> = mcp.list_tools().await.map_err(|e| {
            format!(
                "tools/list on the restored database with the token issued before the backup: {}",
                why(&e)
            )
        })?;
        Ok::<_, Halt>(tools.len())
    }
    .await;
    server.stop().await;
    listed
}
