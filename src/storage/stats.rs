//! Counts for `/metrics` and `mcp-oauth stats`.

use super::{scalar_i64, Result, Store};

/// Tables whose sizes are reported.
pub const TABLES: [&str; 10] = [
    "oauth_clients",
    "oauth_authorization_codes",
    "oauth_access_tokens",
    "oauth_refresh_tokens",
    "users",
    "login_sessions",
    "memories",
    "entities",
    "observations",
    "relations",
];

/// `(table, row count)` for every reported table.
pub async fn table_rows(store: &Store) -> Result<Vec<(String, i64)>> {
    let conn = store.connection().await?;
    let mut out = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let n = scalar_i64(&conn, &format!("SELECT count(*) FROM {table}"), ()).await?;
        out.push((table.to_string(), n));
    }
    Ok(out)
}
