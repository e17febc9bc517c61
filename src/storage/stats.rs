//! Counts for `/metrics` and `mcp-oauth stats`.

use super::events::AuthEvent;
use super::{first, scalar_i64, Conn, Result, Store};

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

/// Counts over the last hour and the last day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recent {
    pub last_hour: i64,
    pub last_day: i64,
}

/// Token rows by state, judged at one instant. Revoked wins over expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TokenCounts {
    pub active: i64,
    pub expired: i64,
    pub revoked: i64,
}

/// Authorization codes by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CodeCounts {
    /// Not redeemed and not expired: a consent in progress.
    pub pending: i64,
    pub redeemed: i64,
    pub expired: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientCounts {
    pub total: i64,
    pub confidential: i64,
    pub public: i64,
    /// Registered through RFC 7591.
    pub dynamic: i64,
    /// Known by a Client ID Metadata Document.
    pub metadata_document: i64,
    pub disabled: i64,
}

/// One table's rows and, where the engine can tell, its size on disk with its indexes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableSize {
    pub table: String,
    pub rows: i64,
    pub bytes: Option<i64>,
}

/// Everything `mcp-oauth stats` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Snapshot {
    pub clients: ClientCounts,
    pub users: i64,
    pub authorization_codes: CodeCounts,
    pub access_tokens: TokenCounts,
    pub refresh_tokens: TokenCounts,
    pub tokens_issued: Recent,
    pub failed_authorizations: Recent,
    pub tables: Vec<TableSize>,
    /// page_count × page_size, when the engine answers the pragmas.
    pub database_bytes: Option<i64>,
    /// Why `bytes` per table is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_note: Option<String>,
}

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

async fn token_counts(conn: &Conn, table: &str, now: i64) -> Result<TokenCounts> {
    let rows = conn
        .query(
            &format!(
                "SELECT \
                   count(*) FILTER (WHERE revoked_at IS NULL AND expires_at > ?1), \
                   count(*) FILTER (WHERE revoked_at IS NULL AND expires_at <= ?1), \
                   count(*) FILTER (WHERE revoked_at IS NOT NULL) \
                 FROM {table}"
            ),
            [now],
        )
        .await?;
    Ok(first(rows, |r| {
        Ok(TokenCounts {
            active: r.get(0)?,
            expired: r.get(1)?,
            revoked: r.get(2)?,
        })
    })
    .await?
    .unwrap_or_default())
}

/// Tokens minted since `since`. Each issuance (code exchange or refresh) stores one access
/// and one refresh token; access tokens expire within the hour and `token cleanup` deletes
/// them, so the larger of the two counts is the one still complete for the last day.
async fn issued_since(conn: &Conn, since: i64) -> Result<i64> {
    let access = scalar_i64(
        conn,
        "SELECT count(*) FROM oauth_access_tokens WHERE created_at >= ?1",
        [since],
    )
    .await?;
    let refresh = scalar_i64(
        conn,
        "SELECT count(*) FROM oauth_refresh_tokens WHERE created_at >= ?1",
        [since],
    )
    .await?;
    Ok(access.max(refresh))
}

async fn failures_since(conn: &Conn, since: i64) -> Result<i64> {
    scalar_i64(
        conn,
        "SELECT count(*) FROM auth_events WHERE created_at >= ?1 AND kind IN (?2, ?3, ?4)",
        libsql::params![
            since,
            AuthEvent::ClientAuthFailed.as_str(),
            AuthEvent::LoginFailed.as_str(),
            AuthEvent::AuthorizationDenied.as_str()
        ],
    )
    .await
}

/// Bytes per table (its own b-tree plus its indexes) from the `dbstat` virtual table, which
/// not every build or server offers; `Err` carries why not.
async fn table_bytes(conn: &Conn) -> std::result::Result<Vec<(String, i64)>, String> {
    let rows = conn
        .query(
            "SELECT m.tbl_name, sum(d.pgsize) FROM dbstat AS d \
             JOIN sqlite_master AS m ON m.name = d.name GROUP BY m.tbl_name",
            (),
        )
        .await
        .map_err(|e| e.to_string())?;
    super::collect(rows, |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?)))
        .await
        .map_err(|e| e.to_string())
}

async fn pragma_i64(conn: &Conn, pragma: &str) -> Option<i64> {
    let rows = conn.query(&format!("PRAGMA {pragma}"), ()).await.ok()?;
    first(rows, |r| Ok(r.get::<i64>(0)?)).await.ok().flatten()
}

/// Reads every count `stats` shows, judged at `now`. Reads only.
pub async fn snapshot(store: &Store, now: i64) -> Result<Snapshot> {
    let conn = store.connection().await?;
    let clients = first(
        conn.query(
            "SELECT count(*), \
               count(*) FILTER (WHERE secret_hash IS NOT NULL), \
               count(*) FILTER (WHERE secret_hash IS NULL), \
               count(*) FILTER (WHERE registration = 'dynamic' AND metadata_document_fetched_at IS NULL), \
               count(*) FILTER (WHERE disabled_at IS NOT NULL), \
               count(*) FILTER (WHERE metadata_document_fetched_at IS NOT NULL) \
             FROM oauth_clients",
            (),
        )
        .await?,
        |r| {
            Ok(ClientCounts {
                total: r.get(0)?,
                confidential: r.get(1)?,
                public: r.get(2)?,
                dynamic: r.get(3)?,
                disabled: r.get(4)?,
                metadata_document: r.get(5)?,
            })
        },
    )
    .await?
    .unwrap_or_default();
    let authorization_codes = first(
        conn.query(
            "SELECT \
               count(*) FILTER (WHERE used_at IS NULL AND expires_at > ?1), \
               count(*) FILTER (WHERE used_at IS NOT NULL), \
               count(*) FILTER (WHERE used_at IS NULL AND expires_at <= ?1) \
             FROM oauth_authorization_codes",
            [now],
        )
        .await?,
        |r| {
            Ok(CodeCounts {
                pending: r.get(0)?,
                redeemed: r.get(1)?,
                expired: r.get(2)?,
            })
        },
    )
    .await?
    .unwrap_or_default();
    let access_tokens = token_counts(&conn, "oauth_access_tokens", now).await?;
    let refresh_tokens = token_counts(&conn, "oauth_refresh_tokens", now).await?;
    let tokens_issued = Recent {
        last_hour: issued_since(&conn, now - HOUR).await?,
        last_day: issued_since(&conn, now - DAY).await?,
    };
    let failed_authorizations = Recent {
        last_hour: failures_since(&conn, now - HOUR).await?,
        last_day: failures_since(&conn, now - DAY).await?,
    };
    let users = scalar_i64(&conn, "SELECT count(*) FROM users", ()).await?;

    let (bytes, size_note) = match table_bytes(&conn).await {
        Ok(bytes) => (Some(bytes), None),
        Err(reason) => (
            None,
            Some(format!(
                "per-table sizes are unavailable (this database offers no dbstat table: {reason})"
            )),
        ),
    };
    let mut tables = Vec::with_capacity(TABLES.len() + 2);
    for table in TABLES.iter().chain(&["auth_events", "maintenance_runs"]) {
        let rows = scalar_i64(&conn, &format!("SELECT count(*) FROM {table}"), ()).await?;
        let size = bytes
            .as_ref()
            .map(|b| b.iter().find(|(name, _)| name == table).map_or(0, |(_, n)| *n));
        tables.push(TableSize {
            table: table.to_string(),
            rows,
            bytes: size,
        });
    }
    let database_bytes = match (
        pragma_i64(&conn, "page_count").await,
        pragma_i64(&conn, "page_size").await,
    ) {
        (Some(count), Some(size)) => Some(count * size),
        _ => None,
    };
    Ok(Snapshot {
        clients,
        users,
        authorization_codes,
        access_tokens,
        refresh_tokens,
        tokens_issued,
        failed_authorizations,
        tables,
        database_bytes,
        size_note,
    })
}
