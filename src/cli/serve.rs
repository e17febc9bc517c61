//! `mcp-oauth serve`: the authorization server and the MCP endpoint.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::{Context, Failure};
use crate::http::{self, AppState, LoginMode, ServerConfig};
use crate::login::clerk::Clerk;
use crate::storage::{migrations, users};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  mcp-oauth serve                                   # http://127.0.0.1:8080, local accounts\n  mcp-oauth serve --listen 0.0.0.0:8080 --issuer https://ai-memory.app --trust-proxy\n  CLERK_JWT_KEY=\"$(cat clerk.pem)\" CLERK_SIGN_IN_URL=https://accounts.example.com/sign-in mcp-oauth serve --login clerk"
)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "MCP_OAUTH_LISTEN")]
    pub listen: SocketAddr,

    /// Public base URL (e.g. https://ai-memory.app); must be https unless loopback.
    /// Defaults to http://<listen>.
    #[arg(long, env = "MCP_OAUTH_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,

    /// Who signs users in at the consent screen.
    #[arg(long, value_enum, default_value = "local", env = "MCP_OAUTH_LOGIN")]
    pub login: LoginMode,

    /// A browser origin allowed by CORS and by /api/mcp's Origin check (repeatable).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,

    /// Turn off dynamic client registration (RFC 7591).
    #[arg(long)]
    pub no_registration: bool,

    /// Authorization code lifetime.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub code_ttl: Duration,

    /// Access token lifetime.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub access_ttl: Duration,

    /// Refresh token lifetime.
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
    pub refresh_ttl: Duration,

    /// How long a rotated-out refresh token stays usable (concurrent refreshes from several processes); a replay inside it gets the same successor pair.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub refresh_grace: Duration,

    /// Trust X-Forwarded-For for client addresses (only behind a proxy that sets it).
    #[arg(long)]
    pub trust_proxy: bool,

    /// How long a revocation made through another instance or the CLI may take to apply
    /// here: validated access tokens are trusted that long without asking the database again.
    /// Revocations through this instance apply at once. Default 2s on a remote database,
    /// 0s on an embedded file: there revocations from anywhere apply at once, and a validated
    /// token is reused only while nothing has been committed to the file since.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub revocation_lag: Option<Duration>,
    /// A Host name answered besides the issuer's and the listen address, as NAME (any port) or
    /// NAME:PORT (repeatable); other Hosts get 421 (DNS-rebinding protection).
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,

    /// Accept clients whose client_id is the https URL of a Client ID Metadata Document,
    /// fetched from public addresses only (on by default).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = ["on", "off"])]
    pub cimd: String,
    /// Fetch client metadata documents only from this domain and its subdomains (repeatable;
    /// none: any public host).
    #[arg(long = "cimd-allow-domain", value_name = "DOMAIN")]
    pub cimd_allow_domains: Vec<String>,
    /// Fetch client metadata documents from HOST:PORT even though it resolves to a loopback or
    /// private address (repeatable; for tests and private networks).
    #[arg(long = "cimd-trusted-host", value_name = "HOST:PORT")]
    pub cimd_trusted_hosts: Vec<String>,
    /// PEM file of certificate authorities trusted for outbound https (client metadata
    /// documents, Clerk's JWKS) besides the bundled roots.
    #[arg(long, value_name = "PEM")]
    pub extra_ca_file: Option<std::path::PathBuf>,

    /// The kill switch: `off` disables the authorization server (metadata, authorize, token,
    /// register, revoke and the login pages answer 503 "OAuth is temporarily disabled") while
    /// /api/mcp keeps accepting Clerk session tokens. Takes effect at (re)start.
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = ["on", "off"], env = "MCP_OAUTH_OAUTH")]
    pub oauth: String,
    /// With --oauth off, keep accepting the mcp_at_ access tokens already issued (until they
    /// expire) instead of answering them 503.
    #[arg(long)]
    pub oauth_off_accepts_issued_tokens: bool,
}

/// `--revocation-lag` when not given on a remote database: a revocation elsewhere applies
/// within 2 s, and a busy instance asks the database about a token once per 2 s, not per call.
pub const REMOTE_REVOCATION_LAG: Duration = Duration::from_secs(2);

impl ServeArgs {
    /// Checks the flags and turns them into the server's configuration; `remote`: the database
    /// is a remote server (the default `--revocation-lag` differs).
    pub fn to_config(&self, remote: bool) -> anyhow::Result<ServerConfig> {
        let mut config = ServerConfig::for_listener(self.listen);
        if let Some(issuer) = &self.issuer {
            config.issuer = normalize_issuer(issuer).map_err(Failure::usage)?;
        }
        config.login = self.login;
        config.cors_origins = self.cors_origins.clone();
        config.registration_enabled = !self.no_registration;
        config.code_ttl = self.code_ttl;
        config.access_ttl = self.access_ttl;
        config.refresh_ttl = self.refresh_ttl;
        config.refresh_grace = self.refresh_grace;
        config.trust_proxy = self.trust_proxy;
        config.revocation_lag = match self.revocation_lag {
            Some(lag) => lag,
            None if remote => REMOTE_REVOCATION_LAG,
            None => Duration::ZERO,
        };
        for host in &self.allowed_hosts {
            crate::http::host_check::check_allowed_host(host).map_err(|e| Failure::usage(e.to_string()))?;
        }
        config.allowed_hosts = self.allowed_hosts.clone();
        config.cimd.enabled = self.cimd == "on";
        config.cimd.allow_domains = self
            .cimd_allow_domains
            .iter()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        for host in &self.cimd_trusted_hosts {
            let port = host
                .rsplit_once(':')
                .and_then(|(h, p)| (!h.is_empty()).then_some(p));
            if port.and_then(|p| p.parse::<u16>().ok()).is_none() {
                return Err(Failure::usage(format!(
                    "--cimd-trusted-host `{host}` must be HOST:PORT"
                )));
            }
        }
        config.cimd.trusted_hosts = self.cimd_trusted_hosts.clone();
        config.oauth_enabled = self.oauth == "on";
        config.oauth_off_accepts_issued_tokens = self.oauth_off_accepts_issued_tokens;
        if let Some(path) = &self.extra_ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| Failure::usage(format!("--extra-ca-file {}: {e}", path.display())))?;
            config.cimd.extra_roots = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "--extra-ca-file {}: no PEM certificate in it",
                        path.display()
                    ))
                })?;
        }
        Ok(config)
    }
}

/// The issuer must be an absolute https URL (http only for loopback) without query or
/// fragment; a trailing slash is removed so that one byte-identical string is used everywhere.
pub fn normalize_issuer(issuer: &str) -> Result<String, String> {
    let url = url::Url::parse(issuer).map_err(|e| format!("--issuer `{issuer}` is not a URL: {e}"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("--issuer `{issuer}` must not have a query or fragment"));
    }
    let loopback = matches!(
        url.host_str(),
        Some("127.0.0.1") | Some("[::1]") | Some("localhost")
    );
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "--issuer `{issuer}` must use https:// (http:// only for 127.0.0.1, [::1] or localhost)"
            ))
        }
    }
    Ok(issuer.trim_end_matches('/').to_string())
}

pub async fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let remote = !matches!(ctx.database_target()?, crate::storage::DatabaseTarget::Local(_));
    let config = args.to_config(remote)?;
    // Held until the process ends: `restore` refuses to replace a database a server holds.
    let _server_lock = match ctx.database_target()? {
        crate::storage::DatabaseTarget::Local(path) => {
            match crate::storage::server_lock::hold_for_server(&path) {
                Ok(Some(lock)) => Some(lock),
                Ok(None) => {
                    return Err(crate::storage::StoreError::Unavailable(format!(
                    "`mcp-oauth restore` is replacing {} right now; start the server when it has finished",
                    path.display()
                ))
                    .into())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot take the server lock beside the database; `restore` will not see this server");
                    None
                }
            }
        }
        crate::storage::DatabaseTarget::Remote { .. } => None,
    };
    let store = ctx.open_store().await?;
    if store.is_local() {
        let applied = migrations::apply_pending(&store).await?;
        for m in applied {
            tracing::info!(migration = %m.id(), "applied migration");
        }
    } else {
        // Many instances share a remote database: schema changes are an operator's step.
        migrations::ensure_current(&store).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(listen = %args.listen, issuer = %config.issuer, "serving");
    if !ctx.quiet() {
        eprintln!(
            "mcp-oauth serving {} (listening on {})",
            config.issuer, args.listen
        );
    }
    let clerk = match config.login {
        LoginMode::Clerk => Some(
            Clerk::from_env()
                .map_err(|e| Failure::usage(e.to_string()))?
                .trust_extra_roots(&config.cimd.extra_roots),
        ),
        LoginMode::Local => None,
    };
    let mut warnings: Vec<String> = clerk
        .iter()
        .flat_map(Clerk::startup_warnings)
        .map(String::from)
        .collect();
    if config.login == LoginMode::Local && !users::any(&store).await? {
        warnings.push(
            "--login local, but there is no local user: nobody can sign in to authorize a client; add one with `mcp-oauth user add NAME`".into(),
        );
    }
    if !config.oauth_enabled {
        warnings.push(if config.oauth_off_accepts_issued_tokens {
            "OAuth is switched off (--oauth off): the OAuth routes answer 503; /api/mcp accepts Clerk session tokens and access tokens issued before".into()
        } else {
            "OAuth is switched off (--oauth off): the OAuth routes answer 503; /api/mcp accepts Clerk session tokens only (add --oauth-off-accepts-issued-tokens to keep issued access tokens working)".into()
        });
    }
    for warning in warnings {
        tracing::warn!("{warning}");
        if !ctx.quiet() {
            eprintln!("warning: {warning}");
        }
    }
    let state = AppState::with_clerk(config, store, clerk);
    http::launch(state, listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::{normalize_issuer, ServeArgs};
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(args: &[&str]) -> anyhow::Result<crate::http::ServerConfig> {
        let args = std::iter::once("serve").chain(args.iter().copied());
        Wrap::try_parse_from(args)?.serve.to_config(false)
    }

    #[test]
    fn metadata_document_flags_reach_the_configuration() {
        let c = config(&[]).unwrap();
        assert!(c.cimd.enabled && c.cimd.trusted_hosts.is_empty() && c.cimd.extra_roots.is_empty());
        let c = config(&[
            "--cimd",
            "off",
            "--cimd-allow-domain",
            "Claude.AI",
            "--cimd-trusted-host",
            "127.0.0.1:8443",
        ])
        .unwrap();
        assert!(!c.cimd.enabled);
        assert_eq!(c.cimd.allow_domains, ["claude.ai"]);
        assert_eq!(c.cimd.trusted_hosts, ["127.0.0.1:8443"]);
        assert!(config(&["--cimd", "maybe"]).is_err());
        assert!(c.oauth_enabled, "OAuth is on unless switched off");
        let off = config(&["--oauth", "off", "--oauth-off-accepts-issued-tokens"]).unwrap();
        assert!(!off.oauth_enabled && off.oauth_off_accepts_issued_tokens && off.accepts_access_tokens());
        assert!(!config(&["--oauth", "off"]).unwrap().accepts_access_tokens());
        assert!(config(&["--oauth", "maybe"]).is_err());
        assert!(config(&["--cimd-trusted-host", "127.0.0.1"]).is_err());
        assert!(config(&["--extra-ca-file", "/nonexistent/ca.pem"]).is_err());
        let not_pem = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(not_pem.path(), "not a certificate").unwrap();
        assert!(config(&["--extra-ca-file", not_pem.path().to_str().unwrap()]).is_err());
    }

    #[test]
    fn issuer_must_be_https_unless_loopback() {
        assert_eq!(
            normalize_issuer("https://ai-memory.app/").unwrap(),
            "https://ai-memory.app"
        );
        assert!(normalize_issuer("http://127.0.0.1:8080").is_ok());
        assert!(normalize_issuer("http://ai-memory.app").is_err());
        assert!(normalize_issuer("https://ai-memory.app/?x=1").is_err());
    }
}
