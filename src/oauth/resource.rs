//! Resource indicators (RFC 8707): codes and tokens are bound to `<issuer>/api/mcp`.

/// The path of the one protected resource this server hosts.
pub const MCP_PATH: &str = "/api/mcp";

/// The resource identifier for an issuer: `https://ai-memory.app/api/mcp`.
pub fn for_issuer(issuer: &str) -> String {
    format!("{}{MCP_PATH}", issuer.trim_end_matches('/'))
}

/// Equal, with one trailing slash tolerated on either side (clients differ on it).
pub fn same_resource(a: &str, b: &str) -> bool {
    fn strip(s: &str) -> &str {
        s.strip_suffix('/').unwrap_or(s)
    }
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_slash_is_tolerated() {
        assert!(same_resource(
            "https://a.example/api/mcp",
            "https://a.example/api/mcp/"
        ));
        assert!(!same_resource(
            "https://a.example/api/mcp",
            "https://a.example/api/mcp//"
        ));
        assert!(!same_resource(
            "https://a.example/api/mcp",
            "https://b.example/api/mcp"
        ));
        assert_eq!(for_issuer("https://a.example/"), "https://a.example/api/mcp");
    }
}
