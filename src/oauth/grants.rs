//! The two grants of the token endpoint as plain state machines over the store:
//! issuing a code at consent, exchanging it (RFC 6749 §4.1.3, RFC 7636 §4.6), and refreshing
//! (RFC 6749 §6, OAuth 2.1 §4.3.1 rotation, RFC 9700 §4.14.2 reuse detection).
//!
//! Every code and token of one approval shares a `grant_id`: the family that replay and reuse
//! detection revoke as a whole.
//!
//! ## The refresh grace: one chain, never two
//!
//! Real MCP clients refresh from several processes at once, all holding the same refresh
//! token, so the token just rotated out stays usable for `--refresh-grace`. The server cannot
//! tell a second process of the client from a thief who stole the token: both present the same
//! string within seconds. What it can do is make them *converge*. A replay inside the grace
//! gets exactly the successor pair the first use got, so after the grace there is one chain
//! and every holder is on it; the first holder that falls behind (presents a rotated token
//! after the grace, which a thief or a victim whose next refresh comes an access-token lifetime
//! later always does) is detected as reuse and the family is revoked. Were a replay to get a
//! fresh pair, as a naive grace does, the thief would own a chain of their own that no later
//! presentation ever ties to the victim's, and reuse would never be seen.
//!
//! The successor pair is *derived*, not stored: at rotation a 256-bit nonce is drawn and
//! `successor = HMAC-SHA-256(key = presented token, nonce ‖ label [‖ scope])`, formatted as an
//! ordinary `mcp_rt_`/`mcp_at_` token ([`crate::secret::derive`]). The rotated row records the
//! nonce and the successor's SHA-256 (`replaced_by`); a replay recomputes the pair from what it
//! presents and checks it against `replaced_by`. So:
//! - nothing that could be presented is stored: the tables still hold SHA-256 digests only,
//!   and the nonce is useless without the presented token (a stolen database cannot mint);
//! - every instance sharing the database computes the same pair, with no key to distribute;
//! - the pair is as unguessable as a drawn one to anyone without the presented token.
//!
//! Why a stored nonce and not the presented token alone: a derivation from the token alone
//! would let anyone who ever held *any* token of a chain compute every later one offline, the
//! access tokens included — a token stolen once, even long rotated out, would read the victim's
//! memories for as long as the victim kept refreshing, without ever touching the token endpoint
//! (so without ever being detected). The nonce, drawn by the rotation and known only to the
//! database, confines what the presented token yields to its own successor, obtainable only by
//! asking the server inside the grace.
//!
//! The rotation and the issue are one write transaction. Concurrent refreshes with one token
//! (several tasks, processes or instances) serialise on the database's write lock: one rotates,
//! the others find it rotated a moment ago and derive the same pair. Inserting a successor row
//! that already exists is "already issued" (`ON CONFLICT DO NOTHING`), never a 500.
//!
//! `scope` on a replay (RFC 6749 §6 narrowing): the refresh token is always the same one (the
//! family keeps its scope); the access token is derived for the scope asked, so a replay that
//! asks what the first use asked gets the very same access token and expiry, and one that asks
//! for a different subset of the family's scope gets its own access token for exactly that
//! subset, bound to the same successor (revoking the successor takes it along). Asking more
//! than the family holds is `invalid_scope`, as on a first use. At most one access token per
//! subset of the family's scope can exist per rotation, so a replay cannot mint without bound.

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
    let (tx, claimed) = grants::begin_claim_code(store, &digest, now).await?;
    let Some(code) = claimed else {
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
    let pair = Pair {
        access_token: secret::generate(Kind::AccessToken),
        refresh_token: secret::generate(Kind::RefreshToken),
    };
    let family = Family {
        grant_id: &code.grant_id,
        client_id: &client.client_id,
        user_id: &code.user_id,
        resource: &code.resource,
    };
    commit_new_pair(tx, &family, pair, &scope, &scope, lifetimes, now).await
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

/// Rotates a refresh token: the presented token is retired and a successor access + refresh
/// pair issued in the same family, bound to the same client, user, resource and scope (the
/// access token's scope may be narrowed by `scope`, never widened; the refresh token keeps the
/// family's scope, RFC 6749 §6). The whole rotation is one write transaction.
///
/// Reuse and the grace period, exactly (the module doc says why):
/// - The head of a family (never rotated) is rotated by one conditional UPDATE; of any number
///   of concurrent refreshes with it, on any number of instances, exactly one performs the
///   rotation. It draws a nonce and derives the successor pair from the presented token and
///   that nonce, and records the nonce and the successor's digest on the rotated row.
/// - A token that was rotated at time `t` and is presented again while `now - t <= grace`
///   **and** its recorded successor is still the live head of the family (not itself rotated,
///   not revoked) is a replay: the same successor pair is derived again from the presented
///   token and the recorded nonce and returned. Nothing new is stored: the successor rows
///   already exist (an insert meeting them counts as "already issued"). The access token is
///   the very one the first use got, with the same expiry (`expires_in` is what is left of
///   it), unless the replay asks for another `scope` (below).
/// - Any other presentation of a rotated token (after the grace, or once the family has moved
///   past its successor) is treated as theft (RFC 9700 §4.14.2): the whole family — every access
///   and refresh token of the grant — is revoked, and the request fails with `invalid_grant`.
/// - A revoked, expired or unknown token, or one presented by another client, fails with
///   `invalid_grant` and changes nothing. So does a replay inside the grace of a token rotated
///   before successor nonces were recorded (migration 0007): its successor cannot be derived.
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
    let presented = request.refresh_token;
    let digest = secret::digest(presented);
    let drawn_nonce = secret::nonce(SUCCESSOR_NONCE_BYTES);
    let drawn_successor = successor_refresh_token(presented, &drawn_nonce);
    let (tx, rotated) = grants::begin_rotation(
        store,
        &digest,
        &client.client_id,
        &secret::digest(&drawn_successor),
        &drawn_nonce,
        now,
    )
    .await?;
    // Whether the successor pair is new (this request rotated the token) or was issued by the
    // request that did (a replay inside the grace).
    let (record, nonce, fresh) = match rotated {
        Some(record) => (record, drawn_nonce, true),
        None => match judge_reuse(&tx, presented, &digest, client, lifetimes, now).await? {
            Reuse::WithinGrace { record, nonce } => (*record, nonce, false),
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
    let pair = Pair {
        refresh_token: successor_refresh_token(presented, &nonce),
        access_token: successor_access_token(presented, &nonce, &access_scope),
    };
    let family = Family {
        grant_id: &record.grant_id,
        client_id: &client.client_id,
        user_id: &record.user_id,
        resource: &record.resource,
    };
    if fresh {
        return commit_new_pair(tx, &family, pair, &access_scope, &family_scope, lifetimes, now).await;
    }
    let issued = store_pair(&tx, &family, pair, &access_scope, &family_scope, lifetimes, now).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Bytes of the nonce a rotation draws. It only has to make each rotation's derivation
/// distinct and unpredictable to someone holding the presented token without the database.
const SUCCESSOR_NONCE_BYTES: usize = 32;

/// The refresh token that succeeds `presented` when rotated with `nonce`.
fn successor_refresh_token(presented: &str, nonce: &[u8]) -> String {
    secret::derive(Kind::RefreshToken, presented, "refresh successor", &[nonce])
}

/// The access token issued beside that successor, for `scope` (so a replay asking the same
/// scope gets the same access token, and one asking another scope gets its own).
fn successor_access_token(presented: &str, nonce: &[u8], scope: &ScopeSet) -> String {
    secret::derive(
        Kind::AccessToken,
        presented,
        "refresh successor access",
        &[nonce, scope.to_string().as_bytes()],
    )
}

/// How a refresh token that is not a live head of this client is judged.
enum Reuse {
    /// Rotated within the grace, and its successor is still the head: derive the same pair.
    WithinGrace {
        record: Box<RefreshTokenRecord>,
        nonce: Vec<u8>,
    },
    /// Unknown, expired, revoked, or another client's: refuse, change nothing.
    Invalid,
    /// A rotated token presented outside the grace: revoke the family.
    Theft { grant_id: String },
}

/// The slow path of [`refresh`]: the token was not a live head of this client.
async fn judge_reuse(
    tx: &WriteTx,
    presented: &str,
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
    let within_grace = lifetimes.refresh_grace > 0 && now - rotated_at <= lifetimes.refresh_grace;
    if !(within_grace && successor_is_head) {
        return Ok(Reuse::Theft {
            grant_id: record.grant_id,
        });
    }
    // The recorded successor must be the one this token derives: a row rotated before nonces
    // were recorded has none, and its (drawn) successor cannot be given out again.
    let derives_successor = match (&record.successor_nonce, &record.replaced_by) {
        (Some(nonce), Some(successor)) => secret::constant_time_eq(
            &secret::digest(&successor_refresh_token(presented, nonce)),
            successor,
        ),
        _ => false,
    };
    if !derives_successor {
        return Ok(Reuse::Invalid);
    }
    let nonce = record.successor_nonce.clone().unwrap_or_default();
    Ok(Reuse::WithinGrace {
        record: Box::new(record),
        nonce,
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

/// A pair about to be issued, in the clear (returned once, stored as digests).
struct Pair {
    access_token: String,
    refresh_token: String,
}

/// A fresh random pair for a new family (code exchange).
/// Stores a pair no request has issued before (drawn now, or derived from a nonce drawn now)
/// and commits: the two inserts go with the `COMMIT` (one round trip on a remote database,
/// [`WriteTx::commit_with`]). Their digests are new, so there is nothing to look up first.
async fn commit_new_pair(
    tx: WriteTx,
    family: &Family<'_>,
    pair: Pair,
    access_scope: &ScopeSet,
    refresh_scope: &ScopeSet,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<IssuedTokens, OAuthError> {
    let refresh_hash = secret::digest(&pair.refresh_token);
    let refresh = grants::insert_refresh_token_statement(&NewRefreshToken {
        token_hash: refresh_hash.clone(),
        grant_id: family.grant_id.to_string(),
        client_id: family.client_id.to_string(),
        user_id: family.user_id.to_string(),
        scope: refresh_scope.to_string(),
        resource: family.resource.to_string(),
        created_at: now,
        expires_at: now + lifetimes.refresh,
    });
    let access = tokens::insert_access_token_statement(&NewAccessToken {
        token_hash: secret::digest(&pair.access_token),
        grant_id: family.grant_id.to_string(),
        client_id: family.client_id.to_string(),
        user_id: family.user_id.to_string(),
        scope: access_scope.to_string(),
        resource: family.resource.to_string(),
        refresh_token_hash: Some(refresh_hash),
        created_at: now,
        expires_at: now + lifetimes.access,
    });
    tx.commit_with(&[refresh, access]).await?;
    Ok(IssuedTokens {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_in: lifetimes.access,
        scope: access_scope.clone(),
        grant_id: family.grant_id.to_string(),
    })
}

/// Stores `pair` unless it is already stored, and answers with it. A derived pair met again
/// (a replay inside the grace) is "already issued": its rows are kept as they are, and the
/// access token's remaining lifetime is answered. An access token already stored but no longer
/// valid (revoked on its own, or expired when `--access-ttl` is shorter than the grace) cannot be
/// handed out again: `invalid_grant`.
async fn store_pair(
    tx: &WriteTx,
    family: &Family<'_>,
    pair: Pair,
    access_scope: &ScopeSet,
    refresh_scope: &ScopeSet,
    lifetimes: &Lifetimes,
    now: i64,
) -> Result<IssuedTokens, OAuthError> {
    let refresh_hash = secret::digest(&pair.refresh_token);
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
    let access_hash = secret::digest(&pair.access_token);
    let inserted = tokens::insert_access_token_if_absent(
        tx,
        &NewAccessToken {
            token_hash: access_hash.clone(),
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
    let expires_in = if inserted {
        lifetimes.access
    } else {
        let existing = tokens::find_access_token_on(tx, &access_hash).await?;
        match existing {
            Some(t) if t.grant_id == family.grant_id && t.revoked_at.is_none() && t.expires_at > now => {
                t.expires_at - now
            }
            _ => {
                return Err(OAuthError::invalid_grant(
                    "the access token issued for this refresh token is no longer valid",
                ))
            }
        }
    };
    Ok(IssuedTokens {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_in,
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
