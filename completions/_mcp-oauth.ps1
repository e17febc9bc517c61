
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mcp-oauth' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mcp-oauth'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mcp-oauth' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply, inspect or roll back database migrations')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the authorization server and the MCP endpoint')
            [CompletionResult]::new('client', 'client', [CompletionResultType]::ParameterValue, 'Register, list, show, rotate and delete OAuth clients')
            [CompletionResult]::new('user', 'user', [CompletionResultType]::ParameterValue, 'Add, list and remove local accounts (`serve --login local`)')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Revoke tokens (on-call) and delete dead ones (cron)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Counts for on-call and monitoring: clients, tokens, failures, table sizes, last cleanup')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Run the deployment checklist: a self-test of this build, or against a deployment (--base-url)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a consistent, checked snapshot of the database while the server keeps serving')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Check a backup and restore it into the database (then apply pending migrations)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;migrate' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print each pending migration and its SQL; change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List applied and pending migrations')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Revert applied migrations, newest first (all of them unless --to)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;migrate;status' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;migrate;rollback' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Keep migrations up to and including VERSION; revert the ones after it (0 reverts all)')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be reverted and its SQL; change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;migrate;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List applied and pending migrations')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Revert applied migrations, newest first (all of them unless --to)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;migrate;help;status' {
            break
        }
        'mcp-oauth;migrate;help;rollback' {
            break
        }
        'mcp-oauth;migrate;help;help' {
            break
        }
        'mcp-oauth;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Public base URL (e.g. https://ai-memory.app); must be https unless loopback. Defaults to http://<listen>')
            [CompletionResult]::new('--login', '--login', [CompletionResultType]::ParameterName, 'Who signs users in at the consent screen')
            [CompletionResult]::new('--cors-origin', '--cors-origin', [CompletionResultType]::ParameterName, 'A browser origin allowed by CORS and by /api/mcp''s Origin check (repeatable)')
            [CompletionResult]::new('--code-ttl', '--code-ttl', [CompletionResultType]::ParameterName, 'Authorization code lifetime')
            [CompletionResult]::new('--access-ttl', '--access-ttl', [CompletionResultType]::ParameterName, 'Access token lifetime')
            [CompletionResult]::new('--refresh-ttl', '--refresh-ttl', [CompletionResultType]::ParameterName, 'Refresh token lifetime')
            [CompletionResult]::new('--refresh-grace', '--refresh-grace', [CompletionResultType]::ParameterName, 'How long a rotated-out refresh token stays usable (concurrent refreshes from several processes); a replay inside it gets the same successor pair')
            [CompletionResult]::new('--revocation-lag', '--revocation-lag', [CompletionResultType]::ParameterName, 'How long a revocation made through another instance or the CLI may take to apply here: validated access tokens are trusted that long without asking the database again. Revocations through this instance apply at once. Default 2s on a remote database, 0s on an embedded file: there revocations from anywhere apply at once, and a validated token is reused only while nothing has been committed to the file since')
            [CompletionResult]::new('--allowed-host', '--allowed-host', [CompletionResultType]::ParameterName, 'A Host name answered besides the issuer''s and the listen address, as NAME (any port) or NAME:PORT (repeatable); other Hosts get 421 (DNS-rebinding protection)')
            [CompletionResult]::new('--cimd', '--cimd', [CompletionResultType]::ParameterName, 'Accept clients whose client_id is the https URL of a Client ID Metadata Document, fetched from public addresses only (on by default)')
            [CompletionResult]::new('--cimd-allow-domain', '--cimd-allow-domain', [CompletionResultType]::ParameterName, 'Fetch client metadata documents only from this domain and its subdomains (repeatable; none: any public host)')
            [CompletionResult]::new('--cimd-trusted-host', '--cimd-trusted-host', [CompletionResultType]::ParameterName, 'Fetch client metadata documents from HOST:PORT even though it resolves to a loopback or private address (repeatable; for tests and private networks)')
            [CompletionResult]::new('--extra-ca-file', '--extra-ca-file', [CompletionResultType]::ParameterName, 'PEM file of certificate authorities trusted for outbound https (client metadata documents, Clerk''s JWKS) besides the bundled roots')
            [CompletionResult]::new('--oauth', '--oauth', [CompletionResultType]::ParameterName, 'The kill switch: `off` disables the authorization server (metadata, authorize, token, register, revoke and the login pages answer 503 "OAuth is temporarily disabled") while /api/mcp keeps accepting Clerk session tokens. Takes effect at (re)start')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--no-registration', '--no-registration', [CompletionResultType]::ParameterName, 'Turn off dynamic client registration (RFC 7591)')
            [CompletionResult]::new('--trust-proxy', '--trust-proxy', [CompletionResultType]::ParameterName, 'Trust X-Forwarded-For for client addresses (only behind a proxy that sets it)')
            [CompletionResult]::new('--oauth-off-accepts-issued-tokens', '--oauth-off-accepts-issued-tokens', [CompletionResultType]::ParameterName, 'With --oauth off, keep accepting the mcp_at_ access tokens already issued (until they expire) instead of answering them 503')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-oauth;client' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a client: a wizard on a terminal, or every answer as a flag')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every client')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one client, with its live token counts')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Issue a new client secret (printed once); the old one stops working now or after --grace')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a client and every code and token it holds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;client;register' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The name users see on the consent screen, e.g. "Claude"')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'A redirect URI the client may use (repeatable): https://…, or http:// on 127.0.0.1, [::1] or localhost (any port). Claude.ai uses https://claude.ai/api/mcp/auth_callback and https://claude.com/api/mcp/auth_callback')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scopes the client may be granted (repeatable, or one space- or comma-separated list): memories:read, memories:write, entities:read, entities:write')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The user who owns the client: a local user ID (`mcp-oauth user list`) or a Clerk user ID')
            [CompletionResult]::new('--auth-method', '--auth-method', [CompletionResultType]::ParameterName, 'How a confidential client sends its secret to the token endpoint [default: client_secret_basic]')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--public', '--public', [CompletionResultType]::ParameterName, 'A public client, without a secret: it proves itself with PKCE alone (Claude Code, desktop and command-line apps that cannot keep a secret)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-oauth;client;list' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;client;show' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;client;rotate' {
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Keep the old secret working this long (e.g. 30m, 1h, 7d), so the client can be updated without downtime. Without it the old secret stops working at once')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;client;delete' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;client;help' {
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a client: a wizard on a terminal, or every answer as a flag')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every client')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one client, with its live token counts')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Issue a new client secret (printed once); the old one stops working now or after --grace')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a client and every code and token it holds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;client;help;register' {
            break
        }
        'mcp-oauth;client;help;list' {
            break
        }
        'mcp-oauth;client;help;show' {
            break
        }
        'mcp-oauth;client;help;rotate' {
            break
        }
        'mcp-oauth;client;help;delete' {
            break
        }
        'mcp-oauth;client;help;help' {
            break
        }
        'mcp-oauth;user' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a local account; the password is asked twice on a terminal or read with --password-stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List local accounts')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an account, end its sessions and revoke its tokens (its memories are kept)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;user;add' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of standard input instead of prompting (a password on the command line would show in `ps` and shell history)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;user;list' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;user;remove' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;user;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a local account; the password is asked twice on a terminal or read with --password-stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List local accounts')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an account, end its sessions and revoke its tokens (its memories are kept)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;user;help;add' {
            break
        }
        'mcp-oauth;user;help;list' {
            break
        }
        'mcp-oauth;user;help;remove' {
            break
        }
        'mcp-oauth;user;help;help' {
            break
        }
        'mcp-oauth;token' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke one token, or every token of a client or a user, for every server at once')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Delete expired codes and tokens, and revoked ones past the retention, in small batches')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;token;revoke' {
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'An access token (mcp_at_…) or refresh token (mcp_rt_…); `-` reads it from standard input, which keeps it out of `ps` and shell history. A refresh token takes its whole grant with it')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Every token of this client (mcp_oauth_…)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Every token of this user: a local user''s name or usr_… ID, or a Clerk user ID')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count what would be revoked; change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;token;cleanup' {
            [CompletionResult]::new('--retention', '--retention', [CompletionResultType]::ParameterName, 'How long revoked tokens and redeemed codes are kept, so that reusing one is still recognised as a replay (e.g. 7d, 36h)')
            [CompletionResult]::new('--unused-clients-after', '--unused-clients-after', [CompletionResultType]::ParameterName, 'How long a dynamically registered client that was never issued an authorization code is kept before it is deleted (e.g. 1d, 12h). Clients registered with `client register`, and clients that ever got a code, are never deleted by cleanup')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'At most this many rows deleted per transaction. Batches are sized to hold the write lock about 10 ms while another process (a `serve`) writes too, about 200 ms when none has for 2 s')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count what would be deleted; change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;token;help' {
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke one token, or every token of a client or a user, for every server at once')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Delete expired codes and tokens, and revoked ones past the retention, in small batches')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;token;help;revoke' {
            break
        }
        'mcp-oauth;token;help;cleanup' {
            break
        }
        'mcp-oauth;token;help;help' {
            break
        }
        'mcp-oauth;stats' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;verify' {
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The deployment''s public base URL (its issuer). Without it: the self-test')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'A registered client''s ID. Without one, verify registers a client dynamically when the server offers registration')
            [CompletionResult]::new('--client-secret', '--client-secret', [CompletionResultType]::ParameterName, 'The client''s secret (none for a public client). Prefer the environment variable: a secret on the command line shows in `ps`')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'A redirect URI the client registered. Nothing needs to listen there: verify reads the code from the redirect''s Location')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'The local account to sign in as (with --password-stdin)')
            [CompletionResult]::new('--session-token', '--session-token', [CompletionResultType]::ParameterName, 'A Clerk session JWT: signs in at the consent screen (when no --username is given) and is checked as a Bearer token at /api/mcp')
            [CompletionResult]::new('--cors-origin', '--cors-origin', [CompletionResultType]::ParameterName, 'An origin the deployment must allow by CORS (repeatable); a foreign origin must never be')
            [CompletionResult]::new('--max-access-ttl', '--max-access-ttl', [CompletionResultType]::ParameterName, 'The longest access-token lifetime accepted (the server''s --access-ttl)')
            [CompletionResult]::new('--refresh-grace', '--refresh-grace', [CompletionResultType]::ParameterName, 'The server''s --refresh-grace. Test 2 checks that the rotated-out refresh token fails after it: at once when it is 5s or less, otherwise only with --wait-grace (the item then passes with a note that this part was not checked). The self-test uses 1s')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only these checks: an id (test2.refresh) or a prefix (discovery, security). Repeatable')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Do not run these checks (id or prefix). Repeatable')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each check (and each request)')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write the results as JUnit XML to FILE, one testcase per check')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the --username''s password from the first line of standard input')
            [CompletionResult]::new('--wait-grace', '--wait-grace', [CompletionResultType]::ParameterName, 'Wait out a long --refresh-grace in Test 2')
            [CompletionResult]::new('--include-rate-limit', '--include-rate-limit', [CompletionResultType]::ParameterName, 'Also run security.rate-limit, which locks this address out of client authentication at the server for about a minute (it runs last, after the cleanup). Always on in the self-test')
            [CompletionResult]::new('--backup-drill', '--backup-drill', [CompletionResultType]::ParameterName, 'With --base-url and --database (the deployment''s database): run backup.drill, a restore drill: back the database up into a temporary file, restore it into another, start this build''s server on it, and use a token issued before the backup there. Writes nothing to the deployment''s database. Always run in the self-test')
            [CompletionResult]::new('--expect-oauth-off', '--expect-oauth-off', [CompletionResultType]::ParameterName, 'Verify a rollback: the deployment should have OAuth switched off (serve --oauth off). Checks that every OAuth endpoint says so and that what still applies works (health, a Clerk session token with --session-token). Without it, a switched-off deployment fails discovery.authorization-server and skips the OAuth checks')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;completions' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;backup' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write the backup into DIR as mcp-oauth-<UTC time>.db (e.g. mcp-oauth-20261129T031700Z.db), creating DIR (0700) if needed')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'With --dir: keep the newest N backups and delete older ones (only files named like ours)')
            [CompletionResult]::new('--retention', '--retention', [CompletionResultType]::ParameterName, 'With --dir: delete backups older than this (e.g. 30d); the newest one is always kept')
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;restore' {
            [CompletionResult]::new('--database', '--database', [CompletionResultType]::ParameterName, 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL')
            [CompletionResult]::new('--auth-token', '--auth-token', [CompletionResultType]::ParameterName, 'Auth token for a remote database (a Turso database token)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed when there is no terminal to ask on)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed when there is no terminal to ask on)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Embedded database: restore even while a running `serve` holds it (the server carries on with the restored file)')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Remote database: replace the tables of a database that is not empty, in one transaction')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and secrets that are shown once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: -v for debug logs, -vv for trace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-oauth;help' {
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply, inspect or roll back database migrations')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the authorization server and the MCP endpoint')
            [CompletionResult]::new('client', 'client', [CompletionResultType]::ParameterValue, 'Register, list, show, rotate and delete OAuth clients')
            [CompletionResult]::new('user', 'user', [CompletionResultType]::ParameterValue, 'Add, list and remove local accounts (`serve --login local`)')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Revoke tokens (on-call) and delete dead ones (cron)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Counts for on-call and monitoring: clients, tokens, failures, table sizes, last cleanup')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Run the deployment checklist: a self-test of this build, or against a deployment (--base-url)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a consistent, checked snapshot of the database while the server keeps serving')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Check a backup and restore it into the database (then apply pending migrations)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-oauth;help;migrate' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List applied and pending migrations')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Revert applied migrations, newest first (all of them unless --to)')
            break
        }
        'mcp-oauth;help;migrate;status' {
            break
        }
        'mcp-oauth;help;migrate;rollback' {
            break
        }
        'mcp-oauth;help;serve' {
            break
        }
        'mcp-oauth;help;client' {
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a client: a wizard on a terminal, or every answer as a flag')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every client')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one client, with its live token counts')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Issue a new client secret (printed once); the old one stops working now or after --grace')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a client and every code and token it holds')
            break
        }
        'mcp-oauth;help;client;register' {
            break
        }
        'mcp-oauth;help;client;list' {
            break
        }
        'mcp-oauth;help;client;show' {
            break
        }
        'mcp-oauth;help;client;rotate' {
            break
        }
        'mcp-oauth;help;client;delete' {
            break
        }
        'mcp-oauth;help;user' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a local account; the password is asked twice on a terminal or read with --password-stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List local accounts')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an account, end its sessions and revoke its tokens (its memories are kept)')
            break
        }
        'mcp-oauth;help;user;add' {
            break
        }
        'mcp-oauth;help;user;list' {
            break
        }
        'mcp-oauth;help;user;remove' {
            break
        }
        'mcp-oauth;help;token' {
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke one token, or every token of a client or a user, for every server at once')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Delete expired codes and tokens, and revoked ones past the retention, in small batches')
            break
        }
        'mcp-oauth;help;token;revoke' {
            break
        }
        'mcp-oauth;help;token;cleanup' {
            break
        }
        'mcp-oauth;help;stats' {
            break
        }
        'mcp-oauth;help;verify' {
            break
        }
        'mcp-oauth;help;completions' {
            break
        }
        'mcp-oauth;help;backup' {
            break
        }
        'mcp-oauth;help;restore' {
            break
        }
        'mcp-oauth;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
