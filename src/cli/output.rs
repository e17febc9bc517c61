//! Shared pieces of human output: tables and timestamps.

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use crate::clock;

/// A table in the house style, wrapped to the terminal's width when there is one.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// A stored timestamp for a table cell; `never` when there is none.
pub fn when(t: Option<i64>) -> String {
    t.map_or_else(|| "never".to_string(), clock::rfc3339)
}

/// A stored timestamp for JSON: RFC 3339, or null.
pub fn json_time(t: Option<i64>) -> serde_json::Value {
    t.map_or(serde_json::Value::Null, |t| clock::rfc3339(t).into())
}

/// `1 token`, `2 tokens`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One line on stdout. Unlike `println!`, a closed pipe (`| head`) is an error the caller
/// returns (and `main` treats as success), not a panic.
pub fn out(line: impl std::fmt::Display) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}")
}
