//! The two grants of the token endpoint as plain state machines over the store:
//! issuing a code at consent, exchanging it (RFC 6749 §4.1.3, RFC 7636 §4.6), and refreshing
//! (RFC 6749 §6, OAuth 2.1 §4.3.1 rotation, RFC 9700 §4.14.2 reuse detection).
//!
//! Every code and token of one approval shares a `grant_id`: the family that replay and reuse
//! detection revoke as a whole.

use super::error::OAuthError;
use super::pkce;
use super::resource;
use super::scope::ScopeSet;
use crate::secret::{self, Kind};
use crate::storage::clients::ClientRecord;
use crate::storage::grants::{self, CodeRecord, NewCode, NewRefreshToken, RefreshTokenRecord};
use crate::storage::revocation::{self, Selector};
use crate::storage::tokens::{self, NewAccessToken};
use crate::storage::{Store, WriteTx};

/// Lifetimes in seconds, from `serve`'s flags.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub code: i64,
    pub access: i64,
    pub refresh: i64,
    /// How long a rotated-out refresh token stays usable; see [`refresh`].
    pub refresh_grace: i64,
}

/// What the token endpoint returns on success.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: ScopeSet,
    pub grant_id: String,
}

/// What the user approved on the consent screen.
#[derive(Debug, Clone)]
pub struct Approval<'a> {
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: &'a ScopeSet,
    pub resource: &'a str,
    pub code_challenge: Option<&'a str>,
}

/// Stores a new authorization code for an approval and returns it (`auth_…`). The code starts
/// a new grant family.
pub async fn issue_code(
    store: &Store,
    approval: &Approval<'_>,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<String, OAuthError> {
    let code = secret::generate(Kind::AuthorizationCode);
    grants::insert_code(
        store,
        &NewCode {
            code_hash: secret::digest(&code),
            grant_id: new_grant_id(),
            client_id: approval.client_id.to_string(),
            user_id: approval.user_id.to_string(),
            redirect_uri: approval.redirect_uri.to_string(),
            scope: approval.scope.to_string(),
            resource: approval.resource.to_string(),
            code_challenge: approval.code_challenge.map(str::to_string),
            created_at: now,
            expires_at: now + lifetimes.code,
        },
    )
    .await?;
    Ok(code)
}

fn new_grant_id() -> String {
    format!("grant_{}", secret::generate(Kind::Csrf))
}

/// The token request's parameters for `grant_type=authorization_code`.
#[derive(Debug, Clone, Default)]
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    pub resource: Option<&'a str>,
}

/// Exchanges a code for tokens. Checks, in order: the code exists and is claimed by this call
/// alone; it was issued to this client; it has not expired; the redirect URI and resource
/// match; the PKCE verifier answers the challenge. A failed check rolls the claim back, so a
/// stolen code presented by the wrong party does not burn the legitimate client's code.
/// A code that was already redeemed is a replay (RFC 6749 §4.1.2): everything its first
/// redemption issued is revoked.
pub async fn exchange_code(
    store: &Store,
    client: &ClientRecord,
    request: &CodeExchange<'_>,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<IssuedTokens, OAuthError> {
    if request.code.is_empty() || request.code.len() > 256 {
        return Err(OAuthError::invalid_request("the code parameter is missing"));
    }
    let Some(redirect_uri) = request.redirect_uri else {
        return Err(OAuthError::invalid_request(
            "redirect_uri is required: send the one used in the authorization request",
        ));
    };
    let digest = secret::digest(request.code);
    let tx = store.begin_write().await?;
    let Some(code) = grants::claim_code(&tx, &digest, now).await? else {
        return match grants::find_code(&tx, &digest).await? {
            Some(used) => {
                // Replay: the code was redeemed before. Revoke the family in this transaction.
                let revoked = revocation::revoke_in(&tx, Selector::Grant(&used.grant_id), now).await?;
                tx.commit().await?;
                tracing::warn!(
                    client_id = %client.client_id,
                    revoked_tokens = revoked.total(),
                    "authorization code replayed; its grant is revoked"
                );
                Err(OAuthError::invalid_grant(
                    "the authorization code was already used",
                ))
            }
            None => Err(OAuthError::invalid_grant("the authorization code is invalid")),
        };
    };
    check_code(&code, client, redirect_uri, request, now)?;
    let scope = ScopeSet::parse_lenient(&code.scope);
    let issued = issue_pair(
        &tx,
        &Family {
            grant_id: &code.grant_id,
            client_id: &client.client_id,
            user_id: &code.user_id,
            resource: &code.resource,
        },
        &scope,
        &scope,
        lifetimes,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

fn check_code(
    code: &CodeRecord,
    client: &ClientRecord,
    redirect_uri: &str,
    request: &CodeExchange<'_>,
    now: i64,
) -> Result<(), OAuthError> {
    if code.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if code.expires_at <= now {
        return Err(OAuthError::invalid_grant("the authorization code has expired"));
    }
    if code.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the one in the authorization request",
        ));
    }
    if let Some(asked) = request.resource {
        if !resource::same_resource(asked, &code.resource) {
            return Err(OAuthError::new(
                super::error::ErrorCode::InvalidTarget,
                "resource does not match the one authorized",
            ));
        }
    }
    match (&code.code_challenge, request.code_verifier) {
        (Some(challenge), Some(verifier)) => {
            if !pkce::is_valid_verifier(verifier) {
                return Err(OAuthError::invalid_request(
                    "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]",
                ));
            }
            if !pkce::verify(verifier, challenge) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_request("code_verifier is required (PKCE)"));
        }
        // PKCE is required for every client (see `authorize::check_pkce`), so no code is issued
        // without a challenge; one stored without (from an older build) is refused rather than
        // redeemed unprotected. RFC 9700 §4.8.2: a verifier for such a code is a downgrade
        // attempt (an attacker injecting a code obtained without PKCE).
        (None, _) => {
            return Err(OAuthError::invalid_grant(
                "the authorization code was issued without a code_challenge (PKCE is required)",
            ));
        }
    }
    Ok(())
}

/// The token request's parameters for `grant_type=refresh_token`.
#[derive(Debug, Clone, Default)]
pub struct RefreshRequest<'a> {
    pub refresh_token: &'a str,
    pub scope: Option<&'a str>,
    pub resource: Option<&'a str>,
}

/// Rotates a refresh token: the presented token is retired and a new access + refresh pair
/// issued in the same family, bound to the same client, user, resource and scope (the access
/// token's scope may be narrowed by `scope`, never widened; the refresh token keeps the
/// family's scope, RFC 6749 §6).
///
/// Reuse and the grace period, exactly:
/// - The head of a family (never rotated) is rotated by one conditional UPDATE; of any number
///   of concurrent refreshes with it, exactly one performs the rotation.
/// - A token that was rotated at time `t` is still accepted while `now - t <= grace` **and** its
///   recorded successor is still the live head of the family (not itself rotated, not revoked).
///   Such a reuse is answered with a fresh access + refresh pair, a sibling of the successor: the
///   successor stays valid. This is the case of several processes of one MCP client refreshing
///   with the same token at once: all of them get working tokens.
/// - Any other presentation of a rotated token (after the grace, or once the family has moved
///   past its successor) is treated as theft (RFC 9700 §4.14.2): the whole family — every access
///   and refresh token of the grant — is revoked, and the request fails with `invalid_grant`.
/// - A revoked, expired or unknown token, or one presented by another client, fails with
///   `invalid_grant` and changes nothing.
pub async fn refresh(
    store: &Store,
    client: &ClientRecord,
    request: &RefreshRequest<'_>,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<IssuedTokens, OAuthError> {
    if request.refresh_token.is_empty() || request.refresh_token.len() > 256 {
        return Err(OAuthError::invalid_request(
            "the refresh_token parameter is missing",
        ));
    }
    let digest = secret::digest(request.refresh_token);
    let successor = secret::generate(Kind::RefreshToken);
    let successor_digest = secret::digest(&successor);
    let tx = store.begin_write().await?;
    let record =
        match grants::rotate_refresh_token(&tx, &digest, &client.client_id, &successor_digest, now).await? {
            Some(record) => record,
            None => match judge_reuse(&tx, &digest, client, lifetimes, now).await? {
                Reuse::WithinGrace(record) => record,
                Reuse::Invalid => {
                    return Err(OAuthError::invalid_grant(
                        "the refresh token is invalid, expired or revoked",
                    ))
                }
                Reuse::Theft { grant_id } => {
                    let revoked = revocation::revoke_in(&tx, Selector::Grant(&grant_id), now).await?;
                    tx.commit().await?;
                    tracing::warn!(
                        client_id = %client.client_id,
                        revoked_tokens = revoked.total(),
                        "rotated refresh token reused outside the grace period; its family is revoked"
                    );
                    return Err(OAuthError::invalid_grant("the refresh token was already used"));
                }
            },
        };
    let family_scope = ScopeSet::parse_lenient(&record.scope);
    let access_scope = narrowed_scope(request.scope, &family_scope)?;
    if let Some(asked) = request.resource {
        if !resource::same_resource(asked, &record.resource) {
            return Err(OAuthError::new(
                super::error::ErrorCode::InvalidTarget,
                "resource does not match the one authorized",
            ));
        }
    }
    let issued = issue_pair_with(
        &tx,
        &Family {
            grant_id: &record.grant_id,
            client_id: &client.client_id,
            user_id: &record.user_id,
            resource: &record.resource,
        },
        &access_scope,
        &family_scope,
        successor,
        lifetimes,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// How a refresh token that is not a live head of this client is judged.
enum Reuse {
    /// Rotated within the grace, and its successor is still the head: issue a sibling.
    WithinGrace(RefreshTokenRecord),
    /// Unknown, expired, revoked, or another client's: refuse, change nothing.
    Invalid,
    /// A rotated token presented outside the grace: revoke the family.
    Theft { grant_id: String },
}

/// The slow path of [`refresh`]: the token was not a live head of this client.
async fn judge_reuse(
    tx: &WriteTx,
    digest: &[u8],
    client: &ClientRecord,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<Reuse, OAuthError> {
    let Some(record) = grants::find_refresh_token(tx, digest).await? else {
        return Ok(Reuse::Invalid);
    };
    if record.client_id != client.client_id || record.revoked_at.is_some() || record.expires_at <= now {
        return Ok(Reuse::Invalid);
    }
    let Some(rotated_at) = record.rotated_at else {
        return Ok(Reuse::Invalid); // not reached: the rotation would have matched
    };
    let successor_is_head = match &record.replaced_by {
        Some(successor) => grants::is_live_head(tx, successor, now).await?,
        None => false,
    };
    // Whole seconds: a grace of 0 turns the allowance off.
    if lifetimes.refresh_grace > 0 && now - rotated_at <= lifetimes.refresh_grace && successor_is_head {
        return Ok(Reuse::WithinGrace(record));
    }
    Ok(Reuse::Theft {
        grant_id: record.grant_id,
    })
}

/// The access token's scope: the family's, or a subset of it when the client asks for less.
/// Unknown scope words are dropped like everywhere else; a known scope outside the family's
/// is `invalid_scope` (RFC 6749 §6).
fn narrowed_scope(requested: Option<&str>, family: &ScopeSet) -> Result<ScopeSet, OAuthError> {
    let Some(requested) = requested else {
        return Ok(family.clone());
    };
    let asked = ScopeSet::parse_lenient(requested);
    if asked.is_empty() {
        return Ok(family.clone());
    }
    if !asked.is_subset_of(family) {
        return Err(OAuthError::new(
            super::error::ErrorCode::InvalidScope,
            "the requested scope exceeds the scope originally granted",
        ));
    }
    Ok(asked)
}

struct Family<'a> {
    grant_id: &'a str,
    client_id: &'a str,
    user_id: &'a str,
    resource: &'a str,
}

async fn issue_pair(
    tx: &WriteTx,
    family: &Family<'_>,
    access_scope: &ScopeSet,
    refresh_scope: &ScopeSet,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<IssuedTokens, OAuthError> {
    let refresh_token = secret::generate(Kind::RefreshToken);
    issue_pair_with(
        tx,
        family,
        access_scope,
        refresh_scope,
        refresh_token,
        lifetimes,
        now,
    )
    .await
}

async fn issue_pair_with(
    tx: &WriteTx,
    family: &Family<'_>,
    access_scope: &ScopeSet,
    refresh_scope: &ScopeSet,
    refresh_token: String,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<IssuedTokens, OAuthError> {
    let access_token = secret::generate(Kind::AccessToken);
    let refresh_hash = secret::digest(&refresh_token);
    grants::insert_refresh_token(
        tx,
        &NewRefreshToken {
            token_hash: refresh_hash.clone(),
            grant_id: family.grant_id.to_string(),
            client_id: family.client_id.to_string(),
            user_id: family.user_id.to_string(),
            scope: refresh_scope.to_string(),
            resource: family.resource.to_string(),
            created_at: now,
            expires_at: now + lifetimes.refresh,
        },
    )
    .await?;
    tokens::insert_access_token(
        tx,
        &NewAccessToken {
            token_hash: secret::digest(&access_token),
            grant_id: family.grant_id.to_string(),
            client_id: family.client_id.to_string(),
            user_id: family.user_id.to_string(),
            scope: access_scope.to_string(),
            resource: family.resource.to_string(),
            refresh_token_hash: Some(refresh_hash),
            created_at: now,
            expires_at: now + lifetimes.access,
        },
    )
    .await?;
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        expires_in: lifetimes.access,
        scope: access_scope.clone(),
        grant_id: family.grant_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_scope_may_narrow_but_never_widen() {
        let family = ScopeSet::parse_lenient("memories:read memories:write");
        assert_eq!(narrowed_scope(None, &family).unwrap(), family);
        assert_eq!(
            narrowed_scope(Some("memories:read offline_access"), &family)
                .unwrap()
                .to_string(),
            "memories:read"
        );
        assert!(narrowed_scope(Some("entities:write"), &family).is_err());
        assert_eq!(narrowed_scope(Some("offline_access"), &family).unwrap(), family);
    }
}
