//! Copying a whole database, schema and rows, from one libSQL connection to another: what a
//! backup of a remote database (sqld/Turso → a local file) and a restore into one (a local
//! file → sqld/Turso) do, where SQLite's own file-level tools cannot reach.
//!
//! The schema is replayed from the source's `sqlite_master`, in an order that leaves the copy
//! exactly as the source was:
//! 1. virtual tables first (FTS5 creates its shadow tables with them), then every other table;
//! 2. the rows of every table, shadow tables included (an FTS index is copied as it stands,
//!    not rebuilt), and `sqlite_sequence`, so AUTOINCREMENT counters carry on where they were;
//! 3. views, indexes and triggers last: no trigger fires for a copied row (the graph quota
//!    counters in `graph_usage` are copied, not counted again), and indexes are built once.
//!
//! The caller decides the transactions: the source is read inside one read transaction (one
//! snapshot), the destination written inside one write transaction.

use libsql::{Connection, Value};

use super::super::{collect, Result, StoreError};

/// Rows read (and inserted) per statement.
const PAGE_ROWS: usize = 500;
/// SQLite's default limit on bound parameters per statement is 32766; stay well inside it.
const MAX_PARAMS: usize = 4000;

/// One entry of `sqlite_master`.
#[derive(Debug, Clone)]
pub struct SchemaObject {
    pub kind: String,
    pub name: String,
    pub sql: String,
}

impl SchemaObject {
    fn is_virtual(&self) -> bool {
        self.kind == "table"
            && self
                .sql
                .trim_start()
                .to_ascii_uppercase()
                .starts_with("CREATE VIRTUAL TABLE")
    }
}

/// `"name"`, with embedded quotes doubled.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every schema object with SQL (automatic indexes have none), in creation order, except
/// SQLite's own (`sqlite_…`) and the server's internal tables (`libsql_…`, `_litestream…`).
pub async fn read_schema(conn: &Connection) -> Result<Vec<SchemaObject>> {
    let rows = conn
        .query(
            "SELECT type, name, sql FROM sqlite_master \
             WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
               AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' AND name NOT LIKE '\\_litestream%' ESCAPE '\\' \
             ORDER BY rowid",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(SchemaObject {
            kind: r.get(0)?,
            name: r.get(1)?,
            sql: r.get(2)?,
        })
    })
    .await
}

/// The names of the tables that hold rows of their own: every table but virtual ones (whose
/// rows live in their shadow tables, which are listed).
pub fn data_tables(schema: &[SchemaObject]) -> Vec<String> {
    schema
        .iter()
        .filter(|o| o.kind == "table" && !o.is_virtual())
        .map(|o| o.name.clone())
        .collect()
}

/// The tables an operator reads about: [`data_tables`] without the shadow tables of virtual
/// ones (`memories_fts_data`, …).
pub fn user_tables(schema: &[SchemaObject]) -> Vec<String> {
    let virtuals: Vec<&str> = schema
        .iter()
        .filter(|o| o.is_virtual())
        .map(|o| o.name.as_str())
        .collect();
    data_tables(schema)
        .into_iter()
        .filter(|t| !virtuals.iter().any(|v| t.starts_with(&format!("{v}_"))))
        .collect()
}

/// Rows in `table`.
pub async fn count_rows(conn: &Connection, table: &str) -> Result<i64> {
    let mut rows = conn
        .query(&format!("SELECT count(*) FROM {}", quote(table)), ())
        .await?;
    let row = rows
        .next()
        .await?
        .ok_or_else(|| StoreError::Sql(format!("count(*) of {table} returned no row")))?;
    Ok(row.get(0)?)
}

/// Whether `name` is a table on `conn`.
async fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    let rows = conn
        .query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
        )
        .await?;
    Ok(super::super::first(rows, |_| Ok(())).await?.is_some())
}

/// A table's columns, and its primary-key columns in key order.
async fn columns(conn: &Connection, table: &str) -> Result<(Vec<String>, Vec<String>)> {
    let rows = conn
        .query(&format!("PRAGMA table_info({})", quote(table)), ())
        .await?;
    let cols = collect(rows, |r| Ok((r.get::<String>(1)?, r.get::<i64>(5)?))).await?;
    let mut pk: Vec<(i64, String)> = cols
        .iter()
        .filter(|(_, k)| *k > 0)
        .map(|(n, k)| (*k, n.clone()))
        .collect();
    pk.sort();
    Ok((
        cols.into_iter().map(|(n, _)| n).collect(),
        pk.into_iter().map(|(_, n)| n).collect(),
    ))
}

/// Copies the whole database on `src` into the empty database on `dst`. `on_rows` hears how
/// many rows were copied after each page. Returns the rows copied per table.
pub async fn copy_database(
    src: &Connection,
    dst: &Connection,
    on_rows: &mut (dyn FnMut(u64) + Send),
) -> Result<Vec<(String, u64)>> {
    let schema = read_schema(src).await?;
    for o in schema.iter().filter(|o| o.is_virtual()) {
        dst.execute(&o.sql, ()).await?;
    }
    let mut shadow = Vec::new();
    for o in schema.iter().filter(|o| o.kind == "table" && !o.is_virtual()) {
        if table_exists(dst, &o.name).await? {
            shadow.push(o.name.clone()); // made by a virtual table above
        } else {
            dst.execute(&o.sql, ()).await?;
        }
    }
    let mut copied = Vec::new();
    for o in schema.iter().filter(|o| o.kind == "table" && !o.is_virtual()) {
        let without_rowid = o.sql.to_ascii_uppercase().contains("WITHOUT ROWID");
        let n = copy_rows(src, dst, &o.name, without_rowid, on_rows).await?;
        copied.push((o.name.clone(), n));
    }
    copy_sequences(src, dst).await?;
    for kind in ["view", "index", "trigger"] {
        for o in schema.iter().filter(|o| o.kind == kind) {
            dst.execute(&o.sql, ()).await?;
        }
    }
    Ok(copied)
}

/// AUTOINCREMENT counters: the copied rows set them to the largest id copied; the source's
/// may be higher (rows deleted since), and an id must never be handed out twice.
async fn copy_sequences(src: &Connection, dst: &Connection) -> Result<()> {
    let exists = src
        .query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
            (),
        )
        .await?;
    if super::super::first(exists, |_| Ok(())).await?.is_none() {
        return Ok(());
    }
    let rows = src.query("SELECT name, seq FROM sqlite_sequence", ()).await?;
    let seqs = collect(rows, |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?))).await?;
    if seqs.is_empty() {
        return Ok(());
    }
    dst.execute("DELETE FROM sqlite_sequence", ()).await?;
    for (name, seq) in seqs {
        dst.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)",
            libsql::params![name, seq],
        )
        .await?;
    }
    Ok(())
}

/// Copies every row of `table`, a page at a time. A rowid table is paged by rowid and its rowid
/// copied with it (an FTS index refers to rows by rowid); a WITHOUT ROWID table by its key.
async fn copy_rows(
    src: &Connection,
    dst: &Connection,
    table: &str,
    without_rowid: bool,
    on_rows: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    let (cols, pk) = columns(src, table).await?;
    if cols.is_empty() {
        return Ok(0);
    }
    let mut selected: Vec<String> = cols.iter().map(|c| quote(c)).collect();
    if !without_rowid {
        selected.insert(0, "rowid".into());
    }
    let width = selected.len();
    let per_insert = (MAX_PARAMS / width).clamp(1, PAGE_ROWS);
    let column_list = selected.join(", ");
    let mut total = 0u64;
    let mut last_rowid = i64::MIN;
    let mut offset = 0i64;
    loop {
        let rows = if without_rowid {
            let order = if pk.is_empty() {
                String::from("1")
            } else {
                pk.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ")
            };
            src.query(
                &format!(
                    "SELECT {column_list} FROM {} ORDER BY {order} LIMIT {PAGE_ROWS} OFFSET {offset}",
                    quote(table)
                ),
                (),
            )
            .await?
        } else {
            src.query(
                &format!(
                    "SELECT {column_list} FROM {} WHERE rowid > ?1 ORDER BY rowid LIMIT {PAGE_ROWS}",
                    quote(table)
                ),
                [last_rowid],
            )
            .await?
        };
        let page: Vec<Vec<Value>> = collect(rows, |r| {
            (0..width as i32)
                .map(|i| r.get_value(i).map_err(StoreError::from))
                .collect()
        })
        .await?;
        if page.is_empty() {
            break;
        }
        if !without_rowid {
            if let Some(Value::Integer(id)) = page.last().and_then(|r| r.first()) {
                last_rowid = *id;
            }
        }
        for chunk in page.chunks(per_insert) {
            let one = format!("({})", vec!["?"; width].join(", "));
            let sql = format!(
                "INSERT OR REPLACE INTO {} ({column_list}) VALUES {}",
                quote(table),
                vec![one; chunk.len()].join(", ")
            );
            let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
            dst.execute(&sql, params).await?;
        }
        let n = page.len() as u64;
        total += n;
        offset += n as i64;
        on_rows(n);
        if page.len() < PAGE_ROWS {
            break;
        }
    }
    Ok(total)
}
