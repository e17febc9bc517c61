//! Printing the checklist: a table for people, one JSON document for scripts, JUnit XML for CI.

use std::fmt::Write as _;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, Table};
use serde::Serialize;

use super::checklist::{CheckResult, Outcome};

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

pub fn totals(results: &[CheckResult]) -> Totals {
    let mut t = Totals::default();
    for r in results {
        match r.outcome {
            Outcome::Pass => t.passed += 1,
            Outcome::Fail(_) => t.failed += 1,
            Outcome::Skip(_) => t.skipped += 1,
        }
    }
    t
}

pub fn table(results: &[CheckResult], color: bool) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["", "check", "what", "time", "reason"]);
    for r in results {
        let mut mark = Cell::new(r.outcome.mark());
        if color {
            mark = mark.fg(match r.outcome {
                Outcome::Pass => Color::Green,
                Outcome::Fail(_) => Color::Red,
                Outcome::Skip(_) => Color::Yellow,
            });
        }
        table.add_row(vec![
            mark,
            Cell::new(r.id),
            Cell::new(r.title),
            Cell::new(format!("{:.0} ms", r.duration.as_secs_f64() * 1000.0)),
            Cell::new(r.outcome.reason().unwrap_or("")),
        ]);
    }
    table.to_string()
}

/// The line under the table: `12 passed, 0 failed, 2 skipped`.
pub fn summary_line(t: Totals) -> String {
    format!("{} passed, {} failed, {} skipped", t.passed, t.failed, t.skipped)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML, one `<testcase>` per check, as CI systems render it.
pub fn junit(results: &[CheckResult], target: &str) -> String {
    let t = totals(results);
    let total_secs: f64 = results.iter().map(|r| r.duration.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"mcp-oauth verify\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{total_secs:.3}\">",
        results.len(),
        t.failed,
        t.skipped
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"mcp-oauth verify {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{total_secs:.3}\">",
        xml_escape(target),
        results.len(),
        t.failed,
        t.skipped
    );
    for r in results {
        let _ = write!(
            out,
            "    <testcase classname=\"verify\" name=\"{} — {}\" time=\"{:.3}\"",
            xml_escape(r.id),
            xml_escape(r.title),
            r.duration.as_secs_f64()
        );
        match &r.outcome {
            Outcome::Pass => out.push_str("/>\n"),
            Outcome::Fail(why) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\"/>\n    </testcase>",
                    xml_escape(why)
                );
            }
            Outcome::Skip(why) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_escape(why)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn result(id: &'static str, outcome: Outcome) -> CheckResult {
        CheckResult {
            id,
            title: "a <check>",
            outcome,
            duration: Duration::from_millis(12),
        }
    }

    #[test]
    fn junit_has_one_testcase_per_check_and_escapes() {
        let xml = junit(
            &[
                result("a", Outcome::Pass),
                result("b", Outcome::Fail("got \"500\" & <html>\u{1}".into())),
                result("c", Outcome::Skip("no --session-token".into())),
            ],
            "http://127.0.0.1:1",
        );
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(xml.contains("failures=\"1\""));
        assert!(xml.contains("<failure message=\"got &quot;500&quot; &amp; &lt;html&gt;\u{FFFD}\"/>"));
        assert!(xml.contains("<skipped message=\"no --session-token\"/>"));
        assert!(!xml.contains("<check>"));
    }

    #[test]
    fn totals_count_each_outcome() {
        let t = totals(&[result("a", Outcome::Pass), result("b", Outcome::Skip("x".into()))]);
        assert_eq!(
            t,
            Totals {
                passed: 1,
                failed: 0,
                skipped: 1
            }
        );
        assert_eq!(summary_line(t), "1 passed, 0 failed, 1 skipped");
    }
}
