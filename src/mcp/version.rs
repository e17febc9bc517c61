//! The MCP revisions `/api/mcp` speaks, and which era a version belongs to (MCP 2026-07-28
//! "Versioning": a dual-era server serves both on one endpoint).
//!
//! - **Modern** (2026-07-28): stateless; every request carries its version in the
//!   `MCP-Protocol-Version` header and in `params._meta`, and there is no `initialize`.
//! - **Legacy** (2025-11-25, 2025-06-18, 2025-03-26): the `initialize` handshake negotiates a
//!   version, which later requests repeat in the header.

/// The one modern revision.
pub const MODERN: &str = "2026-07-28";

/// The legacy revisions, newest first. `initialize` only ever negotiates one of these: a
/// legacy handshake that asks for 2026-07-28 gets the newest legacy version, because a client
/// that sends `initialize` speaks the legacy lifecycle whatever version it names.
pub const LEGACY: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];

/// Every version the endpoint serves, newest first: `server/discover`'s `supportedVersions`
/// and the `data.supported` of an unsupported-version error (the same list, so that a client
/// may pick from either).
pub const SUPPORTED: [&str; 4] = [MODERN, LEGACY[0], LEGACY[1], LEGACY[2]];

/// What a legacy request without an `MCP-Protocol-Version` header is taken to speak (MCP
/// 2025-06-18 "Protocol Version Header": the server SHOULD assume 2025-03-26).
pub const VERSION_WHEN_ABSENT: &str = "2025-03-26";

/// Which rules a request is answered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    Legacy,
    Modern,
}

/// The era of a version this server speaks, or `None` for any other string.
pub fn era_of(version: &str) -> Option<Era> {
    if version == MODERN {
        Some(Era::Modern)
    } else if LEGACY.contains(&version) {
        Some(Era::Legacy)
    } else {
        None
    }
}

/// The version `initialize` answers with: the client's if it is a legacy version we speak,
/// else our newest legacy version.
pub fn negotiate_legacy(requested: &str) -> &'static str {
    LEGACY
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(LEGACY[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_version_is_echoed_and_any_other_gets_the_newest_legacy_one() {
        assert_eq!(negotiate_legacy("2025-03-26"), "2025-03-26");
        assert_eq!(negotiate_legacy("2025-06-18"), "2025-06-18");
        assert_eq!(negotiate_legacy("2024-11-05"), "2025-11-25");
        assert_eq!(negotiate_legacy("banana"), "2025-11-25");
        assert_eq!(negotiate_legacy(MODERN), "2025-11-25");
    }

    #[test]
    fn each_version_belongs_to_one_era() {
        assert_eq!(era_of("2026-07-28"), Some(Era::Modern));
        for v in LEGACY {
            assert_eq!(era_of(v), Some(Era::Legacy));
        }
        assert_eq!(era_of("2024-11-05"), None);
        assert_eq!(era_of(" 2026-07-28"), None);
    }
}
