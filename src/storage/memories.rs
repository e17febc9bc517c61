//! `memories` and its FTS5 index `memories_fts`: one user's free-text notes.
//!
//! Every statement filters by `user_id`; the caller passes the authenticated principal's.
//! User text never reaches FTS5's query language unescaped: [`match_expression`] turns it into
//! a disjunction of quoted terms, so `"`, `*`, `NEAR(`, `AND` and friends are words, not syntax.

use super::{collect, first, Result, Store, StoreError};

/// One stored memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    pub id: i64,
    pub content: String,
    pub tags: Vec<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "m.id, m.content, m.tags, m.created_at";

fn decode(r: &libsql::Row) -> Result<Memory> {
    let tags: String = r.get(2)?;
    Ok(Memory {
        id: r.get(0)?,
        content: r.get(1)?,
        tags: serde_json::from_str(&tags).map_err(|e| StoreError::Corrupt {
            what: "memories.tags",
            detail: e.to_string(),
        })?,
        created_at: r.get(3)?,
    })
}

/// Stores a memory for `user_id` and returns it with its id.
pub async fn insert(
    store: &Store,
    user_id: &str,
    content: &str,
    tags: &[String],
    now: i64,
) -> Result<Memory> {
    let tags_json = serde_json::to_string(tags).expect("strings serialize");
    let tx = store.begin_write().await?;
    let rows = tx
        .query(
            "INSERT INTO memories (user_id, content, tags, created_at) VALUES (?1, ?2, ?3, ?4) \
             RETURNING id",
            libsql::params![user_id, content, tags_json, now],
        )
        .await?;
    let id = first(rows, |r| Ok(r.get::<i64>(0)?))
        .await?
        .ok_or_else(|| StoreError::Sql("INSERT … RETURNING returned no row".into()))?;
    tx.commit().await?;
    Ok(Memory {
        id,
        content: content.to_string(),
        tags: tags.to_vec(),
        created_at: now,
    })
}

/// Deletes `user_id`'s memory `id`; `false` when there is none (or it is someone else's).
pub async fn delete(store: &Store, user_id: &str, id: i64) -> Result<bool> {
    let n = store
        .execute_write(
            "DELETE FROM memories WHERE id = ?1 AND user_id = ?2",
            libsql::params![id, user_id],
        )
        .await?;
    Ok(n > 0)
}

/// Up to `limit` of `user_id`'s memories, newest first, starting below id `before` when given.
pub async fn list(store: &Store, user_id: &str, before: Option<i64>, limit: u32) -> Result<Vec<Memory>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            &format!(
                "SELECT {COLUMNS} FROM memories m WHERE m.user_id = ?1 AND m.id < ?2 \
                 ORDER BY m.id DESC LIMIT ?3"
            ),
            libsql::params![user_id, before.unwrap_or(i64::MAX), limit],
        )
        .await?;
    collect(rows, decode).await
}

/// The search of [`search`]: `?1` the match expression, `?2` the user id, `?3` the limit.
const SEARCH: &str = "SELECT m.id, m.content, m.tags, m.created_at FROM \
     (SELECT rowid AS id, bm25(memories_fts, 1.0, 1.0, 0.0) AS score FROM memories_fts \
      WHERE memories_fts MATCH '{owner} : \"u' || hex(?2) || '\" AND {content tags} : (' || ?1 || ')' \
      ORDER BY score, rowid DESC LIMIT ?3) f \
     JOIN memories m ON m.id = f.id WHERE m.user_id = ?2 \
     ORDER BY f.score, m.id DESC";

/// `user_id`'s memories matching any word of `query`, best first by BM25 (FTS5 `bm25()`:
/// lower is better). A query with no searchable word matches nothing.
pub async fn search(store: &Store, user_id: &str, query: &str, limit: u32) -> Result<Vec<Memory>> {
    let Some(expression) = match_expression(query) else {
        return Ok(Vec::new());
    };
    let conn = store.connection().await?;
    // The index holds every user's memories; the `owner` column (migration 0005, one token
    // 'u' || hex(user_id), built by the same SQL function here and in the triggers) lets FTS5
    // keep only the caller's rows while intersecting doclists, and rank and cut to `limit`
    // before a single `memories` row is read. Matching across all users and then joining each
    // hit to `memories` to filter it cost ~3 ms per search at 50,000 memories. The join still
    // checks `m.user_id`: the token narrows the search, the column decides what is returned.
    // Prepared once per pooled connection: planning an FTS5 query is not free.
    let search = conn.cached(SEARCH).await?;
    let rows = search.query(libsql::params![expression, user_id, limit]).await?;
    collect(rows, decode).await
}

/// The FTS5 expression for free text: each word (a run of letters and digits) quoted as a string,
/// joined with `OR` so that a memory matching more of the words ranks higher rather than a memory
/// missing one word being dropped. `None` when there is no word at all.
pub fn match_expression(query: &str) -> Option<String> {
    let mut terms: Vec<&str> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    terms.dedup();
    if terms.is_empty() {
        return None;
    }
    // Quoting makes each term a string token; the split above already removed every `"`.
    Some(
        terms
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" OR "),
    )
}

#[cfg(test)]
mod tests {
    use super::match_expression;

    #[test]
    fn fts_operators_in_user_text_become_quoted_words() {
        assert_eq!(
            match_expression(r#"cats AND "dogs" NEAR(x* ^y) -z"#).as_deref(),
            Some(r#""cats" OR "AND" OR "dogs" OR "NEAR" OR "x" OR "y" OR "z""#)
        );
    }

    #[test]
    fn text_without_words_has_no_expression() {
        assert_eq!(match_expression(""), None);
        assert_eq!(match_expression(" \"*()- ^ "), None);
    }

    #[test]
    fn non_ascii_words_are_kept() {
        assert_eq!(
            match_expression("café über").as_deref(),
            Some(r#""café" OR "über""#)
        );
    }
}
