
use builtin;
use str;

set edit:completion:arg-completer[mcp-oauth] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mcp-oauth'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mcp-oauth'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand migrate 'Apply, inspect or roll back database migrations'
            cand serve 'Run the authorization server and the MCP endpoint'
            cand client 'Register, list, show, rotate and delete OAuth clients'
            cand user 'Add, list and remove local accounts (`serve --login local`)'
            cand token 'Revoke tokens (on-call) and delete dead ones (cron)'
            cand stats 'Counts for on-call and monitoring: clients, tokens, failures, table sizes, last cleanup'
            cand verify 'Run the deployment checklist: a self-test of this build, or against a deployment (--base-url)'
            cand completions 'Print a shell completion script'
            cand backup 'Write a consistent, checked snapshot of the database while the server keeps serving'
            cand restore 'Check a backup and restore it into the database (then apply pending migrations)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;migrate'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --dry-run 'Print each pending migration and its SQL; change nothing'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
            cand status 'List applied and pending migrations'
            cand rollback 'Revert applied migrations, newest first (all of them unless --to)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;migrate;status'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;migrate;rollback'= {
            cand --to 'Keep migrations up to and including VERSION; revert the ones after it (0 reverts all)'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --dry-run 'Print what would be reverted and its SQL; change nothing'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;migrate;help'= {
            cand status 'List applied and pending migrations'
            cand rollback 'Revert applied migrations, newest first (all of them unless --to)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;migrate;help;status'= {
        }
        &'mcp-oauth;migrate;help;rollback'= {
        }
        &'mcp-oauth;migrate;help;help'= {
        }
        &'mcp-oauth;serve'= {
            cand --listen 'Address to listen on'
            cand --issuer 'Public base URL (e.g. https://ai-memory.app); must be https unless loopback. Defaults to http://<listen>'
            cand --login 'Who signs users in at the consent screen'
            cand --cors-origin 'A browser origin allowed by CORS and by /api/mcp''s Origin check (repeatable)'
            cand --code-ttl 'Authorization code lifetime'
            cand --access-ttl 'Access token lifetime'
            cand --refresh-ttl 'Refresh token lifetime'
            cand --refresh-grace 'How long a rotated-out refresh token stays usable (concurrent refreshes from several processes); a replay inside it gets the same successor pair'
            cand --revocation-lag 'How long a revocation made through another instance or the CLI may take to apply here: validated access tokens are trusted that long without asking the database again. Revocations through this instance apply at once. Default 2s on a remote database, 0s on an embedded file: there revocations from anywhere apply at once, and a validated token is reused only while nothing has been committed to the file since'
            cand --allowed-host 'A Host name answered besides the issuer''s and the listen address, as NAME (any port) or NAME:PORT (repeatable); other Hosts get 421 (DNS-rebinding protection)'
            cand --cimd 'Accept clients whose client_id is the https URL of a Client ID Metadata Document, fetched from public addresses only (on by default)'
            cand --cimd-allow-domain 'Fetch client metadata documents only from this domain and its subdomains (repeatable; none: any public host)'
            cand --cimd-trusted-host 'Fetch client metadata documents from HOST:PORT even though it resolves to a loopback or private address (repeatable; for tests and private networks)'
            cand --extra-ca-file 'PEM file of certificate authorities trusted for outbound https (client metadata documents, Clerk''s JWKS) besides the bundled roots'
            cand --oauth 'The kill switch: `off` disables the authorization server (metadata, authorize, token, register, revoke and the login pages answer 503 "OAuth is temporarily disabled") while /api/mcp keeps accepting Clerk session tokens. Takes effect at (re)start'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --no-registration 'Turn off dynamic client registration (RFC 7591)'
            cand --trust-proxy 'Trust X-Forwarded-For for client addresses (only behind a proxy that sets it)'
            cand --oauth-off-accepts-issued-tokens 'With --oauth off, keep accepting the mcp_at_ access tokens already issued (until they expire) instead of answering them 503'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mcp-oauth;client'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
            cand register 'Register a client: a wizard on a terminal, or every answer as a flag'
            cand list 'List every client'
            cand show 'Show one client, with its live token counts'
            cand rotate 'Issue a new client secret (printed once); the old one stops working now or after --grace'
            cand delete 'Delete a client and every code and token it holds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;client;register'= {
            cand --name 'The name users see on the consent screen, e.g. "Claude"'
            cand --redirect-uri 'A redirect URI the client may use (repeatable): https://…, or http:// on 127.0.0.1, [::1] or localhost (any port). Claude.ai uses https://claude.ai/api/mcp/auth_callback and https://claude.com/api/mcp/auth_callback'
            cand --scope 'Scopes the client may be granted (repeatable, or one space- or comma-separated list): memories:read, memories:write, entities:read, entities:write'
            cand --user-id 'The user who owns the client: a local user ID (`mcp-oauth user list`) or a Clerk user ID'
            cand --auth-method 'How a confidential client sends its secret to the token endpoint [default: client_secret_basic]'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --public 'A public client, without a secret: it proves itself with PKCE alone (Claude Code, desktop and command-line apps that cannot keep a secret)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mcp-oauth;client;list'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;client;show'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;client;rotate'= {
            cand --grace 'Keep the old secret working this long (e.g. 30m, 1h, 7d), so the client can be updated without downtime. Without it the old secret stops working at once'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;client;delete'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand -y 'Do not ask for confirmation (needed without a terminal)'
            cand --yes 'Do not ask for confirmation (needed without a terminal)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;client;help'= {
            cand register 'Register a client: a wizard on a terminal, or every answer as a flag'
            cand list 'List every client'
            cand show 'Show one client, with its live token counts'
            cand rotate 'Issue a new client secret (printed once); the old one stops working now or after --grace'
            cand delete 'Delete a client and every code and token it holds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;client;help;register'= {
        }
        &'mcp-oauth;client;help;list'= {
        }
        &'mcp-oauth;client;help;show'= {
        }
        &'mcp-oauth;client;help;rotate'= {
        }
        &'mcp-oauth;client;help;delete'= {
        }
        &'mcp-oauth;client;help;help'= {
        }
        &'mcp-oauth;user'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
            cand add 'Add a local account; the password is asked twice on a terminal or read with --password-stdin'
            cand list 'List local accounts'
            cand remove 'Remove an account, end its sessions and revoke its tokens (its memories are kept)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;user;add'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --password-stdin 'Read the password from the first line of standard input instead of prompting (a password on the command line would show in `ps` and shell history)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;user;list'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;user;remove'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand -y 'Do not ask for confirmation (needed without a terminal)'
            cand --yes 'Do not ask for confirmation (needed without a terminal)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;user;help'= {
            cand add 'Add a local account; the password is asked twice on a terminal or read with --password-stdin'
            cand list 'List local accounts'
            cand remove 'Remove an account, end its sessions and revoke its tokens (its memories are kept)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;user;help;add'= {
        }
        &'mcp-oauth;user;help;list'= {
        }
        &'mcp-oauth;user;help;remove'= {
        }
        &'mcp-oauth;user;help;help'= {
        }
        &'mcp-oauth;token'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
            cand revoke 'Revoke one token, or every token of a client or a user, for every server at once'
            cand cleanup 'Delete expired codes and tokens, and revoked ones past the retention, in small batches'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;token;revoke'= {
            cand --token 'An access token (mcp_at_…) or refresh token (mcp_rt_…); `-` reads it from standard input, which keeps it out of `ps` and shell history. A refresh token takes its whole grant with it'
            cand --client 'Every token of this client (mcp_oauth_…)'
            cand --user 'Every token of this user: a local user''s name or usr_… ID, or a Clerk user ID'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --dry-run 'Count what would be revoked; change nothing'
            cand -y 'Do not ask for confirmation (needed without a terminal)'
            cand --yes 'Do not ask for confirmation (needed without a terminal)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;token;cleanup'= {
            cand --retention 'How long revoked tokens and redeemed codes are kept, so that reusing one is still recognised as a replay (e.g. 7d, 36h)'
            cand --unused-clients-after 'How long a dynamically registered client that was never issued an authorization code is kept before it is deleted (e.g. 1d, 12h). Clients registered with `client register`, and clients that ever got a code, are never deleted by cleanup'
            cand --batch-size 'At most this many rows deleted per transaction. Batches are sized to hold the write lock about 10 ms while another process (a `serve`) writes too, about 200 ms when none has for 2 s'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --dry-run 'Count what would be deleted; change nothing'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;token;help'= {
            cand revoke 'Revoke one token, or every token of a client or a user, for every server at once'
            cand cleanup 'Delete expired codes and tokens, and revoked ones past the retention, in small batches'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;token;help;revoke'= {
        }
        &'mcp-oauth;token;help;cleanup'= {
        }
        &'mcp-oauth;token;help;help'= {
        }
        &'mcp-oauth;stats'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;verify'= {
            cand --base-url 'The deployment''s public base URL (its issuer). Without it: the self-test'
            cand --client-id 'A registered client''s ID. Without one, verify registers a client dynamically when the server offers registration'
            cand --client-secret 'The client''s secret (none for a public client). Prefer the environment variable: a secret on the command line shows in `ps`'
            cand --redirect-uri 'A redirect URI the client registered. Nothing needs to listen there: verify reads the code from the redirect''s Location'
            cand --username 'The local account to sign in as (with --password-stdin)'
            cand --session-token 'A Clerk session JWT: signs in at the consent screen (when no --username is given) and is checked as a Bearer token at /api/mcp'
            cand --cors-origin 'An origin the deployment must allow by CORS (repeatable); a foreign origin must never be'
            cand --max-access-ttl 'The longest access-token lifetime accepted (the server''s --access-ttl)'
            cand --refresh-grace 'The server''s --refresh-grace. Test 2 checks that the rotated-out refresh token fails after it: at once when it is 5s or less, otherwise only with --wait-grace (the item then passes with a note that this part was not checked). The self-test uses 1s'
            cand --only 'Run only these checks: an id (test2.refresh) or a prefix (discovery, security). Repeatable'
            cand --skip 'Do not run these checks (id or prefix). Repeatable'
            cand --timeout 'Time limit for each check (and each request)'
            cand --junit 'Also write the results as JUnit XML to FILE, one testcase per check'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --password-stdin 'Read the --username''s password from the first line of standard input'
            cand --wait-grace 'Wait out a long --refresh-grace in Test 2'
            cand --include-rate-limit 'Also run security.rate-limit, which locks this address out of client authentication at the server for about a minute (it runs last, after the cleanup). Always on in the self-test'
            cand --backup-drill 'With --base-url and --database (the deployment''s database): run backup.drill, a restore drill: back the database up into a temporary file, restore it into another, start this build''s server on it, and use a token issued before the backup there. Writes nothing to the deployment''s database. Always run in the self-test'
            cand --expect-oauth-off 'Verify a rollback: the deployment should have OAuth switched off (serve --oauth off). Checks that every OAuth endpoint says so and that what still applies works (health, a Clerk session token with --session-token). Without it, a switched-off deployment fails discovery.authorization-server and skips the OAuth checks'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;completions'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;backup'= {
            cand --dir 'Write the backup into DIR as mcp-oauth-<UTC time>.db (e.g. mcp-oauth-20261129T031700Z.db), creating DIR (0700) if needed'
            cand --keep 'With --dir: keep the newest N backups and delete older ones (only files named like ours)'
            cand --retention 'With --dir: delete backups older than this (e.g. 30d); the newest one is always kept'
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;restore'= {
            cand --database 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL'
            cand --auth-token 'Auth token for a remote database (a Turso database token)'
            cand -y 'Do not ask for confirmation (needed when there is no terminal to ask on)'
            cand --yes 'Do not ask for confirmation (needed when there is no terminal to ask on)'
            cand --force 'Embedded database: restore even while a running `serve` holds it (the server carries on with the restored file)'
            cand --replace 'Remote database: replace the tables of a database that is not empty, in one transaction'
            cand --json 'Print machine-readable JSON instead of tables and prose'
            cand -q 'Print nothing but errors (and secrets that are shown once)'
            cand --quiet 'Print nothing but errors (and secrets that are shown once)'
            cand -v 'More detail: -v for debug logs, -vv for trace'
            cand --verbose 'More detail: -v for debug logs, -vv for trace'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-oauth;help'= {
            cand migrate 'Apply, inspect or roll back database migrations'
            cand serve 'Run the authorization server and the MCP endpoint'
            cand client 'Register, list, show, rotate and delete OAuth clients'
            cand user 'Add, list and remove local accounts (`serve --login local`)'
            cand token 'Revoke tokens (on-call) and delete dead ones (cron)'
            cand stats 'Counts for on-call and monitoring: clients, tokens, failures, table sizes, last cleanup'
            cand verify 'Run the deployment checklist: a self-test of this build, or against a deployment (--base-url)'
            cand completions 'Print a shell completion script'
            cand backup 'Write a consistent, checked snapshot of the database while the server keeps serving'
            cand restore 'Check a backup and restore it into the database (then apply pending migrations)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-oauth;help;migrate'= {
            cand status 'List applied and pending migrations'
            cand rollback 'Revert applied migrations, newest first (all of them unless --to)'
        }
        &'mcp-oauth;help;migrate;status'= {
        }
        &'mcp-oauth;help;migrate;rollback'= {
        }
        &'mcp-oauth;help;serve'= {
        }
        &'mcp-oauth;help;client'= {
            cand register 'Register a client: a wizard on a terminal, or every answer as a flag'
            cand list 'List every client'
            cand show 'Show one client, with its live token counts'
            cand rotate 'Issue a new client secret (printed once); the old one stops working now or after --grace'
            cand delete 'Delete a client and every code and token it holds'
        }
        &'mcp-oauth;help;client;register'= {
        }
        &'mcp-oauth;help;client;list'= {
        }
        &'mcp-oauth;help;client;show'= {
        }
        &'mcp-oauth;help;client;rotate'= {
        }
        &'mcp-oauth;help;client;delete'= {
        }
        &'mcp-oauth;help;user'= {
            cand add 'Add a local account; the password is asked twice on a terminal or read with --password-stdin'
            cand list 'List local accounts'
            cand remove 'Remove an account, end its sessions and revoke its tokens (its memories are kept)'
        }
        &'mcp-oauth;help;user;add'= {
        }
        &'mcp-oauth;help;user;list'= {
        }
        &'mcp-oauth;help;user;remove'= {
        }
        &'mcp-oauth;help;token'= {
            cand revoke 'Revoke one token, or every token of a client or a user, for every server at once'
            cand cleanup 'Delete expired codes and tokens, and revoked ones past the retention, in small batches'
        }
        &'mcp-oauth;help;token;revoke'= {
        }
        &'mcp-oauth;help;token;cleanup'= {
        }
        &'mcp-oauth;help;stats'= {
        }
        &'mcp-oauth;help;verify'= {
        }
        &'mcp-oauth;help;completions'= {
        }
        &'mcp-oauth;help;backup'= {
        }
        &'mcp-oauth;help;restore'= {
        }
        &'mcp-oauth;help;help'= {
        }
    ]
    $completions[$command]
}
