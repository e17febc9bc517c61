//! Where the database lives, parsed from `--database` / `MCP_OAUTH_DATABASE` / `TURSO_URL`.

use std::fmt;
use std::path::PathBuf;

pub const DEFAULT_DATABASE: &str = "./mcp-oauth.db";

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// An embedded libSQL file.
    Local(PathBuf),
    /// A libSQL server (Turso or sqld). `libsql://` is spoken as `https://` by the client.
    Remote { url: String, auth_token: Option<String> },
}

impl DatabaseTarget {
    /// `libsql://`, `https://` and `http://` are remote; `file:` and anything else is a path.
    pub fn parse(spec: &str, auth_token: Option<String>) -> Result<DatabaseTarget, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("the database location is empty".into());
        }
        let lower = spec.to_ascii_lowercase();
        if ["libsql://", "https://", "http://"]
            .iter()
            .any(|s| lower.starts_with(s))
        {
            let parsed = url::Url::parse(spec).map_err(|e| format!("`{spec}` is not a valid URL: {e}"))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(format!("`{spec}` has no host"));
            }
            return Ok(DatabaseTarget::Remote {
                url: spec.to_string(),
                auth_token,
            });
        }
        if lower.starts_with("wss://") || lower.starts_with("ws://") {
            return Err(format!("`{spec}`: WebSocket URLs are not supported; use the https:// (or libsql://) URL of the database"));
        }
        let path = spec
            .strip_prefix("file://")
            .or_else(|| spec.strip_prefix("file:"))
            .unwrap_or(spec);
        let path = path.split('?').next().unwrap_or(path);
        Ok(DatabaseTarget::Local(PathBuf::from(path)))
    }
}

impl fmt::Display for DatabaseTarget {
    /// Never shows the auth token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseTarget::Local(path) => write!(f, "{}", path.display()),
            DatabaseTarget::Remote { url, .. } => write!(f, "{url}"),
        }
    }
}

impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_file_urls_are_local() {
        assert_eq!(
            DatabaseTarget::parse("./x.db", None).unwrap(),
            DatabaseTarget::Local("./x.db".into())
        );
        assert_eq!(
            DatabaseTarget::parse("file:/tmp/x.db", None).unwrap(),
            DatabaseTarget::Local("/tmp/x.db".into())
        );
        assert_eq!(
            DatabaseTarget::parse("file:///tmp/x.db", None).unwrap(),
            DatabaseTarget::Local("/tmp/x.db".into())
        );
    }

    #[test]
    fn server_urls_are_remote_and_display_hides_the_token() {
        let t = DatabaseTarget::parse("libsql://db.example.turso.io", Some("secret".into())).unwrap();
        assert!(matches!(t, DatabaseTarget::Remote { .. }));
        assert!(!t.to_string().contains("secret"));
        assert!(DatabaseTarget::parse("http://127.0.0.1:8080", None).is_ok());
        assert!(DatabaseTarget::parse("https://", None).is_err());
        assert!(DatabaseTarget::parse("wss://x", None).is_err());
    }
}
