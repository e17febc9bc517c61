//! The checklist's vocabulary: a check has an id and a title, and ends passed, failed or skipped,
//! with a one-line reason and how long it took.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail(String),
    /// Not run: what it needs was not given. Never counted as passed.
    Skip(String),
}

impl Outcome {
    pub fn mark(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::Skip(_) => "skip",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Pass => None,
            Outcome::Fail(r) | Outcome::Skip(r) => Some(r),
        }
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

/// A check's own verdict: `Err` is a failure with its reason; `Ok(Some(reason))` a skip.
pub type CheckVerdict = Result<Option<String>, String>;

/// Shorthand for failing a check with a formatted reason.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { return Err(format!($($arg)*)) };
}

/// Runs one check with a timeout and records its outcome.
pub async fn run_check<F>(id: &'static str, title: &'static str, timeout: Duration, check: F) -> CheckResult
where
    F: Future<Output = CheckVerdict>,
{
    let started = Instant::now();
    let outcome = match tokio::time::timeout(timeout, check).await {
        Ok(Ok(None)) => Outcome::Pass,
        Ok(Ok(Some(why))) => Outcome::Skip(why),
        Ok(Err(why)) => Outcome::Fail(why),
        Err(_) => Outcome::Fail(format!("timed out after {timeout:?}")),
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
        let hit = |pattern: &String| id == pattern || id.starts_with(&format!("{pattern}."));
        (self.only.is_empty() || self.only.iter().any(hit)) && !self.skip.iter().any(hit)
    }
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

    #[tokio::test]
    async fn a_slow_check_fails_with_a_timeout() {
        let r = run_check("x", "slow", Duration::from_millis(10), async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(None)
        })
        .await;
        assert!(matches!(r.outcome, Outcome::Fail(ref why) if why.contains("timed out")));
    }
}
