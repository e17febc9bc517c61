//! The client metadata document: what is read from it and the rules it must pass
//! (draft-ietf-oauth-client-id-metadata-document §4.1, MCP 2026-07-28 "Client ID Metadata
//! Documents"). Only the fields this server uses are kept; others are ignored (RFC 7591 §2).

use serde_json::Value;

use super::CimdError;
use crate::oauth::client_name;
use crate::oauth::redirect_uri;
use crate::oauth::scope::ScopeSet;

/// A document that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDocument {
    /// Exactly the URL it was fetched from.
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    /// The scopes it asks for, or every scope when it names none.
    pub scopes: ScopeSet,
}

/// Longest `client_name` kept (the consent page shows it).
const MAX_NAME: usize = 200;
/// Most redirect URIs a document may list.
const MAX_REDIRECTS: usize = 20;

/// Checks the JSON `body` fetched from `url`.
pub fn validate(url: &str, body: &[u8]) -> Result<ClientDocument, CimdError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| CimdError::Invalid("the document is not valid JSON"))?;
    let Value::Object(doc) = value else {
        return Err(CimdError::Invalid("the document is not a JSON object"));
    };
    match doc.get("client_id") {
        Some(Value::String(id)) if id == url => {}
        Some(Value::String(_)) => {
            return Err(CimdError::Invalid(
                "the document's client_id is not the URL it was fetched from",
            ))
        }
        _ => return Err(CimdError::Invalid("the document has no client_id")),
    }
    if doc.contains_key("client_secret") || doc.contains_key("client_secret_expires_at") {
        return Err(CimdError::Invalid(
            "the document must not contain a client_secret",
        ));
    }
    match doc.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if m == "none" => {}
        Some(Value::String(m)) if m.starts_with("client_secret") => {
            return Err(CimdError::Invalid(
                "the document names a shared-secret token_endpoint_auth_method, which client metadata documents must not use",
            ))
        }
        Some(_) => {
            return Err(CimdError::Invalid(
                "the document's token_endpoint_auth_method is not supported here (only none)",
            ))
        }
    }
    let client_name = match doc.get("client_name") {
        Some(Value::String(n)) if !n.trim().is_empty() => n.trim().to_string(),
        _ => return Err(CimdError::Invalid("the document has no client_name")),
    };
    if client_name.chars().count() > MAX_NAME {
        return Err(CimdError::Invalid("the document's client_name is too long"));
    }
    client_name::check(&client_name).map_err(CimdError::Invalid)?;
    let redirect_uris: Vec<String> = match doc.get("redirect_uris") {
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_REDIRECTS => list
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or(CimdError::Invalid("the document's redirect_uris must be strings"))?,
        _ => {
            return Err(CimdError::Invalid(
                "the document has no redirect_uris (a non-empty array of at most 20)",
            ))
        }
    };
    for uri in &redirect_uris {
        redirect_uri::validate(uri).map_err(|_| {
            CimdError::Invalid(
                "a redirect_uri in the document is not acceptable (https, or http on loopback)",
            )
        })?;
    }
    let scopes = match doc.get("scope") {
        Some(Value::String(s)) if !ScopeSet::parse_lenient(s).is_empty() => ScopeSet::parse_lenient(s),
        _ => ScopeSet::all(),
    };
    Ok(ClientDocument {
        client_id: url.to_string(),
        client_name,
        redirect_uris,
        scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://app.example.com/client.json";

    fn doc(extra: &str) -> Vec<u8> {
        format!(
            r#"{{"client_id":"{URL}","client_name":"App","redirect_uris":["http://127.0.0.1/cb"]{extra}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_minimal_document_passes() {
        let d = validate(URL, &doc("")).unwrap();
        assert_eq!(d.client_name, "App");
        assert_eq!(d.redirect_uris, ["http://127.0.0.1/cb"]);
        assert!(validate(URL, &doc(r#","token_endpoint_auth_method":"none""#)).is_ok());
    }

    #[test]
    fn client_id_must_equal_the_url_byte_for_byte() {
        assert!(validate("https://app.example.com/client.json?x", &doc("")).is_err());
        assert!(validate("https://app.example.com/other.json", &doc("")).is_err());
    }

    #[test]
    fn secrets_and_secret_based_auth_are_refused() {
        assert!(validate(URL, &doc(r#","client_secret":"s""#)).is_err());
        assert!(validate(
            URL,
            &doc(r#","token_endpoint_auth_method":"client_secret_basic""#)
        )
        .is_err());
        assert!(validate(URL, &doc(r#","token_endpoint_auth_method":"client_secret_post""#)).is_err());
        assert!(validate(URL, &doc(r#","token_endpoint_auth_method":"client_secret_jwt""#)).is_err());
    }

    #[test]
    fn name_and_redirect_uris_are_required() {
        let no_name = format!(r#"{{"client_id":"{URL}","redirect_uris":["http://127.0.0.1/cb"]}}"#);
        assert!(validate(URL, no_name.as_bytes()).is_err());
        let no_redirects = format!(r#"{{"client_id":"{URL}","client_name":"App","redirect_uris":[]}}"#);
        assert!(validate(URL, no_redirects.as_bytes()).is_err());
        let bad_redirect = format!(
            r#"{{"client_id":"{URL}","client_name":"App","redirect_uris":["http://evil.example/cb"]}}"#
        );
        assert!(validate(URL, bad_redirect.as_bytes()).is_err());
    }
}
