//! Group commit and background checkpoints (`storage::writer`, `storage::checkpoint`), on a real
//! database file: concurrent write transactions share commits without losing or mixing any
//! of them, a failed or cancelled one takes nothing else with it, and checkpoints reach the
//! database file without a commit doing them.
//!
//! These tests run on tokio's current-thread runtime: a spawned task runs only when the test
//! yields, which is how they put writers in the queue at exactly the moment they mean to.

mod common;

use std::time::Duration;

use mcp_oauth::storage::{migrations, DatabaseTarget, Store, StoreError, WriteTx};

const INSERT_RUN: &str =
    "INSERT INTO maintenance_runs (id, task, started_at, finished_at, summary) VALUES (?1, ?2, 0, 0, '{}')";

async fn migrated(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&DatabaseTarget::Local(dir.path().join("writer.db")))
        .await
        .unwrap();
    migrations::apply_pending(&store).await.unwrap();
    store
}

/// The tasks of `maintenance_runs`, by id.
async fn tasks(store: &Store) -> Vec<(i64, String)> {
    let conn = store.connection().await.unwrap();
    let mut rows = conn
        .query("SELECT id, task FROM maintenance_runs ORDER BY id", ())
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        out.push((row.get(0).unwrap(), row.get(1).unwrap()));
    }
    out
}

/// A write transaction holding the gate, with run 1 ("first") written in it: writers started
/// now queue behind it.
async fn first_writer(store: &Store) -> WriteTx {
    let first = store.begin_write().await.unwrap();
    first
        .execute(INSERT_RUN, libsql::params![1, "first"])
        .await
        .unwrap();
    first
}

/// Lets the spawned tasks run until they wait on something (here: the write gate). Yields
/// rather than sleeps: a batch open longer than `MAX_OPEN` (5 ms) is committed at once.
async fn let_others_queue() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn writers_queued_behind_one_share_its_commit_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated(&dir).await;
    let before = store.write_counts();

    let first = first_writer(&store).await;
    let writers: Vec<_> = (2..=40)
        .map(|id| {
            let store = store.clone();
            tokio::spawn(async move {
                let tx = store.begin_write().await?;
                tx.execute(INSERT_RUN, libsql::params![id, format!("run {id}")])
                    .await?;
                tx.commit().await
            })
        })
        .collect();
    let_others_queue().await;
    first.commit().await.unwrap();
    for w in writers {
        w.await.unwrap().unwrap();
    }

    let rows = tasks(&store).await;
    assert_eq!(rows.len(), 40);
    assert_eq!(rows[0], (1, "first".to_string()));
    assert_eq!(rows[39], (40, "run 40".to_string()));
    let after = store.write_counts();
    assert_eq!(after.transactions - before.transactions, 40);
    // All 39 were queued when the first committed, so it handed its transaction on: fewer
    // commits than transactions. (How many fewer depends on the machine: a batch is also
    // closed once it has been open for 5 ms.)
    let commits = after.commits - before.commits;
    assert!(
        (1..40).contains(&commits),
        "{commits} commits for 40 transactions"
    );
}

#[tokio::test]
async fn a_failing_member_is_rolled_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated(&dir).await;

    let first = first_writer(&store).await;
    // Writes a row, then hits a constraint (a duplicate id) and gives up: its own row must go.
    let failing = tokio::spawn({
        let store = store.clone();
        async move {
            let tx = store.begin_write().await?;
            tx.execute(INSERT_RUN, libsql::params![2, "failing"]).await?;
            tx.execute(INSERT_RUN, libsql::params![1, "duplicate"]).await?;
            tx.commit().await
        }
    });
    let last = tokio::spawn({
        let store = store.clone();
        async move {
            let tx = store.begin_write().await?;
            tx.execute(INSERT_RUN, libsql::params![3, "last"]).await?;
            tx.commit().await
        }
    });
    let_others_queue().await;
    first.commit().await.unwrap();

    let err = failing.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, StoreError::Sql(m) if m.contains("UNIQUE constraint failed")),
        "{err:?}"
    );
    last.await.unwrap().unwrap();
    assert_eq!(
        tasks(&store).await,
        vec![(1, "first".to_string()), (3, "last".to_string())]
    );
}

#[tokio::test]
async fn a_member_dropped_without_commit_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated(&dir).await;

    let first = first_writer(&store).await;
    let dropped = tokio::spawn({
        let store = store.clone();
        async move {
            let tx = store.begin_write().await.unwrap();
            tx.execute(INSERT_RUN, libsql::params![2, "dropped"])
                .await
                .unwrap();
            drop(tx);
        }
    });
    let_others_queue().await;
    first.commit().await.unwrap();
    dropped.await.unwrap();
    assert_eq!(tasks(&store).await, vec![(1, "first".to_string())]);
}

#[tokio::test]
async fn a_writer_cancelled_in_the_queue_does_not_strand_the_commit_handed_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated(&dir).await;

    let first = first_writer(&store).await;
    let cancelled = tokio::spawn({
        let store = store.clone();
        async move {
            let tx = store.begin_write().await.unwrap();
            tx.execute(INSERT_RUN, libsql::params![2, "cancelled"])
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    });
    let_others_queue().await;
    // One poll of the commit: a writer is queued, so it hands the open transaction on and
    // waits for the batch. The writer it handed it to is then cancelled before it ever runs.
    let commit = first.commit();
    tokio::pin!(commit);
    tokio::select! {
        biased;
        _ = &mut commit => panic!("with a writer queued, the commit must wait for the batch"),
        () = std::future::ready(()) => {}
    }
    cancelled.abort();
    let outcome = tokio::time::timeout(Duration::from_secs(5), commit).await;
    outcome
        .expect("the batch was left open with nobody to commit it")
        .unwrap();
    assert!(cancelled.await.unwrap_err().is_cancelled());
    assert_eq!(tasks(&store).await, vec![(1, "first".to_string())]);

    // And the gate is free for the next writer.
    store
        .execute_write(INSERT_RUN, libsql::params![3, "after"])
        .await
        .unwrap();
    assert_eq!(tasks(&store).await.len(), 2);
}

/// Rows of `maintenance_runs` in the database file alone, without its WAL: what checkpoints
/// have copied there. `None` while the copy is torn by a checkpoint in progress.
async fn rows_in_main_file(store_dir: &std::path::Path) -> Option<i64> {
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(store_dir.join("writer.db"), copy.path().join("copy.db")).ok()?;
    let db = libsql::Builder::new_local(copy.path().join("copy.db"))
        .build()
        .await
        .ok()?;
    let conn = db.connect().ok()?;
    let mut rows = conn
        .query("SELECT count(*) FROM maintenance_runs", ())
        .await
        .ok()?;
    rows.next().await.ok()??.get(0).ok()
}

#[tokio::test]
async fn background_checkpoints_copy_commits_into_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated(&dir).await;
    // The migrations were checkpointed by the commits that made them (no checkpointer yet).
    let _ = store
        .connection()
        .await
        .unwrap()
        .query("PRAGMA wal_checkpoint(TRUNCATE)", ())
        .await;
    assert_eq!(rows_in_main_file(dir.path()).await, Some(0));

    let checkpoints = store.checkpoint_in_background().expect("a local file");
    for id in 1..=20 {
        store
            .execute_write(INSERT_RUN, libsql::params![id, "run"])
            .await
            .unwrap();
    }
    // Twenty small commits are far below the thousand pages at which a commit would
    // checkpoint by itself: only the background task puts them into the file.
    let mut seen = None;
    for _ in 0..100 {
        seen = rows_in_main_file(dir.path()).await;
        if seen == Some(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, Some(20), "the checkpointer did not copy the commits");
    drop(checkpoints);
}

#[tokio::test]
async fn metrics_show_write_transactions_and_the_commits_they_took() {
    let s = common::TestServer::start().await;
    let before = s.store.write_counts();
    for i in 0..3 {
        s.store
            .execute_write(INSERT_RUN, libsql::params![100 + i, "run"])
            .await
            .unwrap();
    }
    let text = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
    };
    let transactions = value("mcp_oauth_db_write_transactions_total");
    let commits = value("mcp_oauth_db_commits_total");
    assert_eq!(transactions, before.transactions + 3);
    assert!(
        commits > before.commits && commits <= transactions,
        "{commits} of {transactions}"
    );
}

/// What a `PASSIVE` checkpoint reports: (pages in the WAL, pages copied back).
async fn wal_pages(store: &Store) -> (i64, i64) {
    let conn = store.connection().await.unwrap();
    let mut rows = conn.query("PRAGMA wal_checkpoint(PASSIVE)", ()).await.unwrap();
    let row = rows.next().await.unwrap().unwrap();
    (row.get(1).unwrap(), row.get(2).unwrap())
}

#[tokio::test]
async fn catching_up_copies_the_whole_wal_back_and_the_next_write_starts_it_over_uncut() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated(&dir).await;
    let _checkpoints = store.checkpoint_in_background().expect("a local file");
    // About 20 MiB of WAL in one commit (commits leave checkpoints to the checkpointer).
    store
        .execute_write(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 5000) \
             INSERT INTO maintenance_runs (id, task, started_at, finished_at, summary) \
             SELECT i, 'bulk', 0, 0, hex(randomblob(2000)) FROM seq",
            (),
        )
        .await
        .unwrap();
    let grown = store.wal_file_len().expect("a local file");
    assert!(grown > 16 << 20, "the WAL file is {grown} bytes");

    let p = store.catch_up_wal().await.unwrap();
    assert!(!p.busy);
    assert!(p.log > 4_000, "{p:?}");
    assert_eq!(p.checkpointed, p.log, "every page copied back");
    assert_eq!(store.wal_pages_seen(), 0);

    store
        .execute_write(INSERT_RUN, libsql::params![9_999, "after"])
        .await
        .unwrap();
    // The small commit wrote over the start of the WAL: a handful of pages, not 5,000 more,
    // in a file that kept its length (below `journal_size_limit`, so no commit cut it).
    let (log, _) = wal_pages(&store).await;
    assert!(log < 100, "the WAL did not start over: {log} pages");
    assert_eq!(store.wal_file_len(), Some(grown));
    assert_eq!(tasks(&store).await.len(), 5_001);
}
