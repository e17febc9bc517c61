//! `token cleanup`: deleting rows that can no longer be used, in short batches.
//!
//! What is dead, per table:
//! - authorization codes: unredeemed ones once expired; redeemed (or revoked) ones once expired
//!   and redeemed longer ago than the retention, so a replayed code is still recognised, and
//!   the tokens it issued revoked (RFC 6749 §4.1.2), for that long;
//! - access and refresh tokens: unrevoked ones once expired; revoked ones once revoked longer
//!   ago than the retention, whether or not they have expired. A revoked refresh token must
//!   outlive its revocation by the retention so that its reuse still reads as a replay (and
//!   revokes the family) rather than as an unknown token;
//! - login sessions once expired;
//! - `auth_events` older than the retention (never younger than a day: `stats` reports the last day);
//! - dynamically registered clients that were never issued an authorization code
//!   (`oauth_clients.first_code_at` is NULL, and no code row names them) and were registered
//!   longer ago than `unused_clients_after`. Anyone may register; a registration that never
//!   led to an authorization is only stored bytes. Clients registered with the CLI, and any
//!   client that ever got a code, are never deleted here.
//!
//! Each batch is its own write transaction, so a `serve` sharing the database waits for one
//! batch at most, never for the whole cleanup. Batches walk an index in order with a
//! cursor, so rows kept on purpose (revoked within the retention) are stepped over once, not
//! rescanned by every batch.
//!
//! How big a batch is follows who else writes ([`Pace`]): batches of about [`SHARED_HOLD`]
//! while another process commits between them, of about [`ALONE_HOLD`] once nobody has for
//! [`QUIET`]. Between batches the lock is left free for a tenth of the batch's time (2 to
//! 20 ms), which is enough for a waiting `serve` (its writers retry every millisecond) to take
//! it, at a tenth of the time rather than a fixed share.
//!
//! While another process writes, the WAL is kept short too ([`WAL_RESTART_PAGES`]): a batch
//! rewrites pages all over the token indexes, so the cleanup appends to the WAL a hundred times
//! faster than a server does, and a WAL grown to hundreds of MiB is cut back by the commit that
//! starts it over, holding the write lock for a tenth of a second or more (see
//! `storage::checkpoint`). Between two batches the cleanup copies it back entirely instead,
//! without taking the lock, and the next write starts it over from its beginning.

use std::time::{Duration, Instant};

use super::{first, scalar_i64, Result, Store};

/// When rows die, relative to one instant.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Unix seconds; rows are judged against this one instant for the whole run.
    pub now: i64,
    /// How long revoked tokens and redeemed codes are kept, in seconds.
    pub retention: i64,
    /// How long a dynamically registered client that never got a code is kept, in seconds.
    pub unused_clients_after: i64,
}

impl Policy {
    fn revoked_cutoff(&self) -> i64 {
        self.now.saturating_sub(self.retention)
    }

    fn unused_clients_cutoff(&self) -> i64 {
        self.now.saturating_sub(self.unused_clients_after)
    }

    fn events_cutoff(&self) -> i64 {
        self.now.saturating_sub(self.retention.max(EVENTS_MIN_RETENTION))
    }
}

/// `stats` reports failures over the last day; never delete events it still counts.
const EVENTS_MIN_RETENTION: i64 = 24 * 3600;

/// One reason a row of one table is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub table: &'static str,
    /// A short word for the summary: `expired`, `revoked`, …
    pub reason: &'static str,
    /// The primary key (or unique key) a batch's rows are named by.
    key: &'static str,
    /// The indexed column the batches walk in order.
    order: &'static str,
    /// The condition, over `{now}`, `{revoked_cutoff}` and `{events_cutoff}`.
    condition: &'static str,
}

impl Target {
    /// The condition with the policy's instants in place. They are integers computed here,
    /// never text from outside, so inlining them is safe; it also keeps each statement's
    /// parameters exactly the ones it uses (SQLite refuses to bind a parameter it lacks).
    fn condition(&self, policy: &Policy) -> String {
        self.condition
            .replace("{now}", &policy.now.to_string())
            .replace("{revoked_cutoff}", &policy.revoked_cutoff().to_string())
            .replace("{events_cutoff}", &policy.events_cutoff().to_string())
            .replace(
                "{unused_clients_cutoff}",
                &policy.unused_clients_cutoff().to_string(),
            )
    }
}

/// Everything cleanup deletes, in the order it deletes it.
pub const TARGETS: &[Target] = &[
    Target {
        table: "oauth_authorization_codes",
        reason: "expired",
        key: "code_hash",
        order: "expires_at",
        condition: "expires_at <= {now} AND used_at IS NULL",
    },
    Target {
        table: "oauth_authorization_codes",
        reason: "redeemed",
        key: "code_hash",
        order: "expires_at",
        condition: "expires_at <= {now} AND used_at IS NOT NULL AND used_at <= {revoked_cutoff}",
    },
    Target {
        table: "oauth_access_tokens",
        reason: "expired",
        key: "token_hash",
        order: "expires_at",
        condition: "expires_at <= {now} AND revoked_at IS NULL",
    },
    Target {
        table: "oauth_access_tokens",
        reason: "revoked",
        key: "token_hash",
        order: "revoked_at",
        condition: "revoked_at IS NOT NULL AND revoked_at <= {revoked_cutoff}",
    },
    Target {
        table: "oauth_refresh_tokens",
        reason: "expired",
        key: "token_hash",
        order: "expires_at",
        condition: "expires_at <= {now} AND revoked_at IS NULL",
    },
    Target {
        table: "oauth_refresh_tokens",
        reason: "revoked",
        key: "token_hash",
        order: "revoked_at",
        condition: "revoked_at IS NOT NULL AND revoked_at <= {revoked_cutoff}",
    },
    Target {
        table: "login_sessions",
        reason: "expired",
        key: "session_hash",
        order: "expires_at",
        condition: "expires_at <= {now}",
    },
    Target {
        table: "auth_events",
        reason: "old",
        key: "id",
        order: "created_at",
        condition: "created_at <= {events_cutoff}",
    },
    Target {
        table: "oauth_clients",
        reason: "never authorized",
        key: "client_id",
        order: "created_at",
        condition: "registration = 'dynamic' AND first_code_at IS NULL \
            AND created_at <= {unused_clients_cutoff} AND NOT EXISTS \
            (SELECT 1 FROM oauth_authorization_codes c WHERE c.client_id = oauth_clients.client_id)",
    },
];

/// The tables cleanup touches, each once, in order.
pub fn tables() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for t in TARGETS {
        if !out.contains(&t.table) {
            out.push(t.table);
        }
    }
    out
}

/// Rows deleted (or, in a dry run, deletable) for each target, in [`TARGETS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub counts: Vec<(Target, u64)>,
}

impl Report {
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    /// `(reason, count)` for one table.
    pub fn for_table(&self, table: &str) -> Vec<(&'static str, u64)> {
        self.counts
            .iter()
            .filter(|(t, _)| t.table == table)
            .map(|(t, n)| (t.reason, *n))
            .collect()
    }

    pub fn table_total(&self, table: &str) -> u64 {
        self.for_table(table).iter().map(|(_, n)| n).sum()
    }

    /// `{"table": {"reason": n, …, "total": n}, …}` for `maintenance_runs` and `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for table in tables() {
            let mut entry = serde_json::Map::new();
            for (reason, n) in self.for_table(table) {
                entry.insert(reason.to_string(), n.into());
            }
            entry.insert("total".into(), self.table_total(table).into());
            out.insert(table.to_string(), entry.into());
        }
        out.into()
    }
}

/// How many rows each target would delete now; changes nothing.
pub async fn count(store: &Store, policy: &Policy) -> Result<Report> {
    let conn = store.connection().await?;
    let mut counts = Vec::with_capacity(TARGETS.len());
    for target in TARGETS {
        let n = scalar_i64(
            &conn,
            &format!(
                "SELECT count(*) FROM {} WHERE {}",
                target.table,
                target.condition(policy)
            ),
            (),
        )
        .await?;
        counts.push((*target, n.max(0) as u64));
    }
    Ok(Report { counts })
}

/// A dynamically registered client cleanup would delete: never issued a code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnusedClient {
    pub client_id: String,
    pub client_name: String,
    pub created_at: i64,
}

/// The first `limit` clients (oldest first) the `never authorized` target would delete now.
pub async fn unused_clients(store: &Store, policy: &Policy, limit: u64) -> Result<Vec<UnusedClient>> {
    let target = TARGETS
        .iter()
        .find(|t| t.table == "oauth_clients")
        .expect("the clients target");
    let conn = store.connection().await?;
    let rows = conn
        .query(
            &format!(
                "SELECT client_id, client_name, created_at FROM oauth_clients WHERE {} \
                 ORDER BY created_at, client_id LIMIT ?1",
                target.condition(policy)
            ),
            [limit as i64],
        )
        .await?;
    super::collect(rows, |r| {
        Ok(UnusedClient {
            client_id: r.get(0)?,
            client_name: r.get(1)?,
            created_at: r.get(2)?,
        })
    })
    .await
}

/// How long a batch may hold the write lock while another process writes to the database too
/// (a `serve`): a request that needs the lock waits for one batch at most.
pub const SHARED_HOLD: Duration = Duration::from_millis(10);
/// How long a batch may hold the write lock while nobody else has written for [`QUIET`]:
/// bigger batches, fewer commits, and each page of an index rewritten fewer times.
pub const ALONE_HOLD: Duration = Duration::from_millis(200);
/// No other writer seen for this long: back to [`ALONE_HOLD`].
pub const QUIET: Duration = Duration::from_secs(2);
/// The first batch's size (at most the caller's), before the batches have been timed.
const FIRST_BATCH: u64 = 1_000;
/// Between batches the lock is left free for a tenth of the time the batch held it, within
/// these bounds: longer than the millisecond a waiting writer sleeps between tries (see
/// `storage::writer`), so that it gets in; it is also how its commit becomes visible to
/// [`Pace`].
const YIELD_MIN: Duration = Duration::from_millis(2);
const YIELD_MAX: Duration = Duration::from_millis(20);
/// The cleanup connection's page cache, in KiB (SQLite's default is 2 MiB). A batch touches
/// pages all over the digest and user indexes; kept in memory, the next batch finds them there
/// instead of reading them again through a system call each.
const CACHE_KIB: u64 = 64 * 1024;

/// Batch sizes that follow the time each batch held the write lock.
///
/// Another process cannot say it is waiting for the lock, but a writer that was let in
/// between two batches leaves its commit behind, and `PRAGMA data_version` (which changes when
/// another connection commits) shows it. While that happens batches aim at [`SHARED_HOLD`];
/// after [`QUIET`] without it, at [`ALONE_HOLD`]. The size is scaled by target / measured
/// time, at most doubling per batch, never above the caller's maximum.
struct Pace {
    max: u64,
    rows: u64,
    data_version: Option<i64>,
    last_other_writer: Option<Instant>,
}

impl Pace {
    fn new(max: u64) -> Pace {
        Pace {
            max,
            rows: max.min(FIRST_BATCH),
            data_version: None,
            // Assume a server writes until [`QUIET`] shows otherwise: the first batches would
            // otherwise grow towards [`ALONE_HOLD`] before the server's first commit is seen,
            // and a request waiting behind one of them pays for it.
            last_other_writer: Some(Instant::now()),
        }
    }

    /// Notes the `data_version` seen at the start of a batch.
    fn saw_data_version(&mut self, version: i64) {
        if self.data_version.is_some_and(|v| v != version) {
            self.last_other_writer = Some(Instant::now());
        }
        self.data_version = Some(version);
    }

    fn target(&self) -> Duration {
        match self.last_other_writer {
            Some(at) if at.elapsed() < QUIET => SHARED_HOLD,
            _ => ALONE_HOLD,
        }
    }

    /// Sizes the next batch from how long `deleted` rows held the lock.
    fn batch_took(&mut self, deleted: u64, held: Duration) {
        if deleted < self.rows {
            return; // a short last batch says little about the rate
        }
        let target = self.target().as_secs_f64();
        let held = held.as_secs_f64().max(1e-4);
        let scaled = (self.rows as f64 * target / held) as u64;
        self.rows = scaled.clamp(1, self.rows.saturating_mul(2)).min(self.max);
    }
}

/// While another process writes, the cleanup has the WAL copied back entirely (see
/// [`Store::catch_up_wal`]) between two batches once it holds this many pages (16 MiB at
/// 4 KiB), so that it starts over from its beginning at the next write: the WAL file then stays
/// far below the 64 MiB `journal_size_limit`, and no commit (the cleanup's or a server's)
/// ever has to cut a large file back with the write lock held.
pub const WAL_RESTART_PAGES: i64 = 4_096;

/// Keeps the WAL short between batches, while the write lock is free and another process
/// writes (alone, nobody waits for a long commit). The WAL's length is what this process's
/// checkpoints last saw (the background checkpointer's, every [`super::checkpoint::INTERVAL`]).
async fn keep_wal_short(store: &Store, shared: bool) -> Result<()> {
    if !shared || store.wal_pages_seen() < WAL_RESTART_PAGES {
        return Ok(());
    }
    let p = store.catch_up_wal().await?;
    tracing::debug!(
        busy = p.busy,
        pages = p.log,
        copied = p.checkpointed,
        "WAL copied back between cleanup batches"
    );
    Ok(())
}

/// Deletes up to `limit` rows of `target` whose order column is at least `cursor`, in one
/// transaction. Returns how many it deleted and the cursor for the next batch.
async fn delete_batch(
    store: &Store,
    target: &Target,
    policy: &Policy,
    cursor: i64,
    pace: &mut Pace,
) -> Result<(u64, i64)> {
    let Target {
        table, key, order, ..
    } = target;
    let condition = target.condition(policy);
    let limit = pace.rows;
    let asked = Instant::now();
    let tx = store.begin_write().await?;
    let started = Instant::now();
    tx.execute(&format!("PRAGMA cache_size = -{CACHE_KIB}"), ())
        .await?;
    pace.saw_data_version(scalar_i64(&tx, "PRAGMA data_version", ()).await?);
    // The largest order value in this batch is where the next one starts: rows before it that
    // the condition skipped are never looked at again.
    let next_cursor = first(
        tx.query(
            &format!(
                "SELECT max({order}) FROM (SELECT {order} FROM {table} \
                 WHERE {order} >= ?1 AND {condition} ORDER BY {order} LIMIT ?2)"
            ),
            libsql::params![cursor, limit as i64],
        )
        .await?,
        |r| Ok(r.get::<Option<i64>>(0)?),
    )
    .await?
    .flatten();
    let Some(next_cursor) = next_cursor else {
        return Ok((0, cursor)); // nothing left; the dropped transaction changed nothing
    };
    let deleted = tx
        .execute(
            &format!(
                "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} \
                 WHERE {order} >= ?1 AND {condition} ORDER BY {order} LIMIT ?2)"
            ),
            libsql::params![cursor, limit as i64],
        )
        .await?;
    let committing = Instant::now();
    tx.commit().await?;
    tracing::trace!(
        table,
        rows = deleted,
        lock_wait_us = (started - asked).as_micros() as u64,
        held_us = started.elapsed().as_micros() as u64,
        commit_us = committing.elapsed().as_micros() as u64,
        "cleanup batch"
    );
    pace.batch_took(deleted, started.elapsed());
    Ok((deleted, next_cursor))
}

/// Deletes every dead row, at most `batch_size` rows per transaction (fewer while another
/// process writes, see [`Pace`]), calling `on_batch` after each batch with the target and the
/// rows it deleted. Returns what was deleted.
///
/// Each batch commits on its own, so an interrupted run leaves every batch before the
/// interruption deleted and nothing half-done; running it again finishes the work. The
/// connection that writes keeps a larger page cache ([`CACHE_KIB`]) for the rest of the process.
pub async fn run(
    store: &Store,
    policy: &Policy,
    batch_size: u64,
    mut on_batch: impl FnMut(&Target, u64),
) -> Result<Report> {
    let mut pace = Pace::new(batch_size.max(1));
    let mut counts = Vec::with_capacity(TARGETS.len());
    for target in TARGETS {
        let mut total = 0;
        let mut cursor = i64::MIN;
        loop {
            let started = Instant::now();
            let (deleted, next) = delete_batch(store, target, policy, cursor, &mut pace).await?;
            total += deleted;
            on_batch(target, deleted);
            if deleted == 0 {
                break;
            }
            cursor = next;
            tokio::time::sleep((started.elapsed() / 10).clamp(YIELD_MIN, YIELD_MAX)).await;
            keep_wal_short(store, pace.target() == SHARED_HOLD).await?;
        }
        counts.push((*target, total));
    }
    Ok(Report { counts })
}

/// The last finished run of a maintenance task.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MaintenanceRun {
    pub task: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub summary: serde_json::Value,
}

pub const TOKEN_CLEANUP: &str = "token_cleanup";

/// Records a finished cleanup in `maintenance_runs` (what `stats` shows as the last cleanup).
pub async fn record_run(
    store: &Store,
    task: &str,
    started_at: i64,
    finished_at: i64,
    summary: &serde_json::Value,
) -> Result<()> {
    store
        .execute_write(
            "INSERT INTO maintenance_runs (task, started_at, finished_at, summary) VALUES (?1, ?2, ?3, ?4)",
            libsql::params![task, started_at, finished_at, summary.to_string()],
        )
        .await?;
    Ok(())
}

/// The most recent run of `task`, if any.
pub async fn last_run(store: &Store, task: &str) -> Result<Option<MaintenanceRun>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            "SELECT task, started_at, finished_at, summary FROM maintenance_runs \
             WHERE task = ?1 ORDER BY finished_at DESC, id DESC LIMIT 1",
            [task],
        )
        .await?;
    first(rows, |r| {
        let summary: String = r.get(3)?;
        Ok(MaintenanceRun {
            task: r.get(0)?,
            started_at: r.get(1)?,
            finished_at: r.get(2)?,
            summary: serde_json::from_str(&summary).unwrap_or(serde_json::Value::String(summary)),
        })
    })
    .await
}

/// `maintenance_runs.task` of a successful `mcp-oauth backup`.
pub const BACKUP: &str = "backup";

/// When the last successful cleanup and backup finished (Unix seconds), for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LastFinished {
    pub cleanup: Option<i64>,
    pub backup: Option<i64>,
}

/// Two index seeks (`idx_maintenance_runs_task_finished`).
pub async fn last_finished(store: &Store) -> Result<LastFinished> {
    let conn = store.connection().await?;
    let at = |task: &'static str| {
        let conn = &conn;
        async move {
            let rows = conn
                .query(
                    "SELECT max(finished_at) FROM maintenance_runs WHERE task = ?1",
                    [task],
                )
                .await?;
            Ok::<_, super::StoreError>(first(rows, |r| Ok(r.get::<Option<i64>>(0)?)).await?.flatten())
        }
    };
    Ok(LastFinished {
        cleanup: at(TOKEN_CLEANUP).await?,
        backup: at(BACKUP).await?,
    })
}
