//! Parameters written into the SQL text, for the one place that needs it: a remote batch.
//!
//! libSQL 0.10 sends several statements in one Hrana request only through `execute_batch`,
//! which takes SQL text and no parameters. The write paths that batch their statements
//! ([`super::Store::begin_write_with`], [`super::WriteTx::commit_with`]) therefore render their
//! own fixed statements with the values in place. Nothing is ever quoted: every value becomes
//! a literal that cannot contain a quote or a placeholder —
//! - integers in decimal, `NULL`, reals in exponent form (`1.5e0`, so a real stays a real);
//! - blobs as `X'…'` hex, and text as `CAST(X'…' AS TEXT)` (its UTF-8 bytes in hex), so a
//!   quote, a `?1`, a comment marker or a NUL inside a value is only bytes.
//!
//! Placeholders are `?N` only (what every statement here uses); a bare `?`, a named one, a
//! number with no value, or a non-finite real is refused rather than guessed at. A `?` inside
//! a quoted string or identifier of the statement itself is left alone.

use std::fmt::Write;

use libsql::Value;

use super::{Result, StoreError};

/// `sql` with each `?N` replaced by the literal of `params[N - 1]`.
pub fn render(sql: &str, params: &[Value]) -> Result<String> {
    let mut out = String::with_capacity(sql.len() + 64 * params.len());
    let mut chars = sql.char_indices().peekable();
    let mut quote: Option<char> = None;
    while let Some((_, c)) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None; // a doubled quote closes and reopens: same result
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let index: usize = digits
                    .parse()
                    .map_err(|_| misuse(format!("a placeholder without a number in `{sql}`")))?;
                let value = index
                    .checked_sub(1)
                    .and_then(|i| params.get(i))
                    .ok_or_else(|| misuse(format!("no value for ?{index} in `{sql}`")))?;
                literal(&mut out, value)?;
            }
            ':' | '@' | '$' => {
                return Err(misuse(format!("named placeholders are not rendered: `{sql}`")));
            }
            _ => out.push(c),
        }
    }
    if quote.is_some() {
        return Err(misuse(format!("an unterminated quote in `{sql}`")));
    }
    Ok(out)
}

/// Appends the SQL literal of one value.
fn literal(out: &mut String, value: &Value) -> Result<()> {
    match value {
        Value::Null => out.push_str("NULL"),
        Value::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Real(x) if x.is_finite() => {
            let _ = write!(out, "{x:e}");
        }
        Value::Real(x) => return Err(misuse(format!("the real {x} has no SQL literal"))),
        Value::Text(s) => {
            out.push_str("CAST(");
            hex(out, s.as_bytes());
            out.push_str(" AS TEXT)");
        }
        Value::Blob(b) => hex(out, b),
    }
    Ok(())
}

fn hex(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2 + 3);
    out.push_str("X'");
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
    out.push('\'');
}

fn misuse(what: String) -> StoreError {
    StoreError::Sql(format!("cannot render statement parameters: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders `SELECT ?1` with `value` and runs it on an in-memory database: the value that
    /// comes back must be the one that went in, with the same type.
    async fn round_trip(value: Value) -> Value {
        let db = libsql::Builder::new_local(":memory:").build().await.unwrap();
        let conn = db.connect().unwrap();
        let sql = render("SELECT ?1, typeof(?1)", &[value]).unwrap();
        let mut rows = conn.query(&sql, ()).await.unwrap();
        let row = rows.next().await.unwrap().unwrap();
        row.get_value(0).unwrap()
    }

    /// `hex()` and `typeof()` of the rendered value, as SQLite sees it.
    async fn stored_as(value: Value) -> (String, String) {
        let db = libsql::Builder::new_local(":memory:").build().await.unwrap();
        let conn = db.connect().unwrap();
        let sql = render("SELECT hex(?1), typeof(?1)", &[value]).unwrap();
        let mut rows = conn.query(&sql, ()).await.unwrap();
        let row = rows.next().await.unwrap().unwrap();
        (row.get(0).unwrap(), row.get(1).unwrap())
    }

    #[tokio::test]
    async fn every_kind_of_value_comes_back_as_it_went_in() {
        let hostile = [
            "",
            "plain",
            "it's",
            "''",
            "'); DROP TABLE oauth_clients; --",
            "\"double\" `back`",
            "?1 ?2 :name @x $y",
            "-- comment\n/* block */",
            "nul\0inside",
            "unicode: é ✓ 𝄞",
            "X'41'",
            "CAST(X'41' AS TEXT)",
        ];
        for s in hostile {
            // Compared as hex and type: libSQL reads a text value only up to a NUL.
            let hex: String = s.bytes().map(|b| format!("{b:02X}")).collect();
            assert_eq!(
                stored_as(Value::Text(s.into())).await,
                (hex, "text".to_string()),
                "{s:?}"
            );
            if !s.contains('\0') {
                assert_eq!(
                    round_trip(Value::Text(s.into())).await,
                    Value::Text(s.into()),
                    "{s:?}"
                );
            }
        }
        for b in [
            vec![],
            vec![0u8],
            vec![0x27, 0x3f, 0x31],
            (0..=255).collect::<Vec<u8>>(),
        ] {
            assert_eq!(round_trip(Value::Blob(b.clone())).await, Value::Blob(b));
        }
        for n in [0, 1, -1, i64::MAX, i64::MIN, 1_700_000_000] {
            assert_eq!(round_trip(Value::Integer(n)).await, Value::Integer(n));
        }
        for x in [0.0, 1.0, -2.5, 1e300, f64::MIN_POSITIVE, 0.1] {
            assert_eq!(round_trip(Value::Real(x)).await, Value::Real(x));
        }
        assert_eq!(round_trip(Value::Null).await, Value::Null);
    }

    #[tokio::test]
    async fn a_hostile_string_cannot_change_the_statement() {
        let db = libsql::Builder::new_local(":memory:").build().await.unwrap();
        let conn = db.connect().unwrap();
        conn.execute("CREATE TABLE t (a TEXT, b BLOB)", ()).await.unwrap();
        let evil = "x'); DELETE FROM t; SELECT ('";
        let sql = render(
            "INSERT INTO t (a, b) VALUES (?1, ?2)",
            &[Value::Text(evil.into()), Value::Blob(b"?1'".to_vec())],
        )
        .unwrap();
        conn.execute_batch(&format!("{sql}; {sql}")).await.unwrap();
        let mut rows = conn
            .query("SELECT count(*), min(a), min(b) FROM t", ())
            .await
            .unwrap();
        let row = rows.next().await.unwrap().unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), 2);
        assert_eq!(row.get::<String>(1).unwrap(), evil);
        assert_eq!(row.get::<Vec<u8>>(2).unwrap(), b"?1'".to_vec());
    }

    #[test]
    fn placeholders_are_numbered_and_quoted_text_is_left_alone() {
        let sql = render(
            "SELECT ?2, '?1', \"?1\", ?1, ?10",
            &[
                Value::Integer(1),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Integer(10),
            ],
        )
        .unwrap();
        assert_eq!(sql, "SELECT NULL, '?1', \"?1\", 1, 10");
        assert_eq!(
            render("SELECT 'it''s', ?1", &[Value::Integer(7)]).unwrap(),
            "SELECT 'it''s', 7"
        );
    }

    #[test]
    fn what_cannot_be_rendered_exactly_is_refused() {
        for (sql, params) in [
            ("SELECT ?", vec![Value::Integer(1)]),
            ("SELECT ?2", vec![Value::Integer(1)]),
            ("SELECT ?0", vec![Value::Integer(1)]),
            ("SELECT :a", vec![Value::Integer(1)]),
            ("SELECT ?1", vec![Value::Real(f64::NAN)]),
            ("SELECT ?1", vec![Value::Real(f64::INFINITY)]),
            ("SELECT 'open", vec![]),
        ] {
            assert!(render(sql, &params).is_err(), "{sql}");
        }
    }
}
