//! The checklist's vocabulary: a check has an id and a title, and ends passed, failed or skipped,
//! with a one-line reason and how long it took.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Outcome {
    /// Passed; the note says what part was not checked, if any.
    Pass(Option<String>),
    Fail(String),
    /// Not run: what it needs was not given. Never counted as passed.
    Skip(String),
}

impl Outcome {
    pub fn mark(&self) -> &'static str {
        match self {
            Outcome::Pass(_) => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::Skip(_) => "skip",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Pass(note) => note.as_deref(),
            Outcome::Fail(r) | Outcome::Skip(r) => Some(r),
        }
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Fail(_))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    pub title: &'static str,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(serialize_with = "millis")]
    #[serde(rename = "duration_ms")]
    pub duration: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
}

/// A check that ran to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Passed, but part of it could not be checked (the note says which, and what would let it).
    PassExcept(String),
}

/// A check that stopped: it found a fault, or it cannot run with what `verify` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    Fail(String),
    Skip(String),
}

/// Any error message is a failure, so `?` works on `Result<_, String>` inside a check.
impl From<String> for Halt {
    fn from(why: String) -> Halt {
        Halt::Fail(why)
    }
}

pub type CheckVerdict = Result<Verdict, Halt>;

/// Shorthand for failing a check with a formatted reason.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { return Err(format!($($arg)*).into()) };
}

/// Shorthand for skipping a check with a formatted reason.
#[macro_export]
macro_rules! skip {
    ($($arg:tt)*) => { return Err($crate::verify::checklist::Halt::Skip(format!($($arg)*))) };
}

/// Runs one check with a timeout and records its outcome.
pub async fn run_check<F>(id: &'static str, title: &'static str, timeout: Duration, check: F) -> CheckResult
where
    F: Future<Output = CheckVerdict>,
{
    let started = Instant::now();
    let outcome = match tokio::time::timeout(timeout, check).await {
        Ok(Ok(Verdict::Pass)) => Outcome::Pass(None),
        Ok(Ok(Verdict::PassExcept(note))) => Outcome::Pass(Some(note)),
        Ok(Err(Halt::Skip(why))) => Outcome::Skip(why),
        Ok(Err(Halt::Fail(why))) => Outcome::Fail(why),
        Err(_) => Outcome::Fail(format!(
            "timed out after {} (--timeout)",
            humantime::format_duration(timeout)
        )),
    };
    CheckResult {
        id,
        title,
        outcome,
        duration: started.elapsed(),
    }
}

/// Which checks to run (`--only`, `--skip`, matched on id or id prefix like `test`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    pub fn wants(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| matches(p, id)))
            && !self.skip.iter().any(|p| matches(p, id))
    }

    /// The first pattern that names no check of `ids` (a typo would otherwise run nothing, or
    /// everything, silently).
    pub fn unknown_pattern<'a>(&'a self, ids: &[&str]) -> Option<&'a str> {
        self.only
            .iter()
            .chain(&self.skip)
            .find(|p| !ids.iter().any(|id| matches(p, id)))
            .map(String::as_str)
    }
}

fn matches(pattern: &str, id: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    id == pattern || id.strip_prefix(pattern).is_some_and(|rest| rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_matches_ids_and_prefixes() {
        let s = Selection {
            only: vec!["discovery".into(), "test1.new-user".into()],
            skip: vec![],
        };
        assert!(s.wants("discovery.authorization-server"));
        assert!(s.wants("test1.new-user"));
        assert!(!s.wants("test2.refresh"));
        assert!(!s.wants("discoveryx"));
        let s = Selection {
            only: vec![],
            skip: vec!["security".into()],
        };
        assert!(!s.wants("security.cors"));
        assert!(s.wants("test2.refresh"));
    }

    #[test]
    fn a_pattern_that_names_no_check_is_reported() {
        let s = Selection {
            only: vec!["discovery.".into()],
            skip: vec!["secrity".into()],
        };
        assert_eq!(
            s.unknown_pattern(&["discovery.protected-resource", "security.cors"]),
            Some("secrity")
        );
        let s = Selection {
            only: vec!["security".into()],
            skip: vec![],
        };
        assert_eq!(s.unknown_pattern(&["security.cors"]), None);
    }

    #[tokio::test]
    async fn a_slow_check_fails_with_a_timeout() {
        let r = run_check("x", "slow", Duration::from_millis(10), async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(Verdict::Pass)
        })
        .await;
        assert!(matches!(r.outcome, Outcome::Fail(ref why) if why.contains("timed out")));
    }
}
