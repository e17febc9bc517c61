//! The scopes this server grants, and how requested scope strings are read (RFC 6749 §3.3).
//!
//! Scope strings are split on whitespace; empty and unknown entries are dropped rather than
//! refused, because real clients add scopes we do not serve (Claude.ai sends `offline_access`).
//! When nothing known remains, the client's registered scopes apply.
//!
//! The scopes are flat: none implies another (`memories:write` does not grant
//! `memories:read`), so the scope hierarchy MCP 2026-07-28 asks servers to honour is empty, and
//! a call needs exactly the scopes its tool names. `offline_access` is not one of ours: refresh
//! tokens are issued without it, and it appears in no metadata or challenge.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    MemoriesRead,
    MemoriesWrite,
    EntitiesRead,
    EntitiesWrite,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::MemoriesRead,
        Scope::MemoriesWrite,
        Scope::EntitiesRead,
        Scope::EntitiesWrite,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::MemoriesRead => "memories:read",
            Scope::MemoriesWrite => "memories:write",
            Scope::EntitiesRead => "entities:read",
            Scope::EntitiesWrite => "entities:write",
        }
    }

    /// What the consent screen says the client may do.
    pub const fn description(self) -> &'static str {
        match self {
            Scope::MemoriesRead => "Read and search your memories",
            Scope::MemoriesWrite => "Add and delete memories",
            Scope::EntitiesRead => "Read your knowledge graph",
            Scope::EntitiesWrite => {
                "Create, change and delete entities and relations in your knowledge graph"
            }
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of known scopes, kept sorted and free of duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    pub fn all() -> ScopeSet {
        ScopeSet(Scope::ALL.to_vec())
    }

    /// The known scopes in a space-separated string; unknown and empty entries are dropped.
    pub fn parse_lenient(s: &str) -> ScopeSet {
        ScopeSet::from_iter(s.split_whitespace().filter_map(Scope::parse))
    }

    /// Every entry must be known: for operator input, where a typo should be an error.
    pub fn parse_strict(s: &str) -> Result<ScopeSet, String> {
        let mut out = Vec::new();
        for word in s
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
        {
            match Scope::parse(word) {
                Some(scope) => out.push(scope),
                None => {
                    return Err(format!(
                        "unknown scope `{word}`; the supported scopes are: {}",
                        ScopeSet::all()
                    ))
                }
            }
        }
        Ok(ScopeSet::from_iter(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.contains(*s))
    }

    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.iter().copied().filter(|s| other.contains(*s)).collect())
    }

    /// What a client gets: the known requested scopes it is registered for; when the request
    /// names none of those, everything it is registered for.
    pub fn effective(requested: &str, registered: &ScopeSet) -> ScopeSet {
        let asked = ScopeSet::parse_lenient(requested).intersection(registered);
        if asked.is_empty() {
            registered.clone()
        } else {
            asked
        }
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut v: Vec<Scope> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        ScopeSet(v)
    }
}

impl fmt::Display for ScopeSet {
    /// The wire form: space-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_empty_scopes_are_dropped() {
        let s = ScopeSet::parse_lenient("  offline_access memories:read\t\tmemories:read  openid ");
        assert_eq!(s.to_string(), "memories:read");
    }

    #[test]
    fn nothing_known_falls_back_to_registered() {
        let registered = ScopeSet::parse_lenient("memories:read entities:read");
        assert_eq!(ScopeSet::effective("offline_access", &registered), registered);
        assert_eq!(ScopeSet::effective("", &registered), registered);
    }

    #[test]
    fn a_client_never_gets_more_than_it_registered() {
        let registered = ScopeSet::parse_lenient("memories:read");
        assert_eq!(
            ScopeSet::effective("memories:read memories:write", &registered).to_string(),
            "memories:read"
        );
    }

    #[test]
    fn strict_parsing_names_the_typo() {
        let err = ScopeSet::parse_strict("memories:read,memory:write").unwrap_err();
        assert!(err.contains("memory:write"));
    }
}
