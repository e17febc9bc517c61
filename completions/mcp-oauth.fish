# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mcp_oauth_global_optspecs
    string join \n database= auth-token= json q/quiet v/verbose h/help V/version
end

function __fish_mcp_oauth_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mcp_oauth_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mcp_oauth_using_subcommand
    set -l cmd (__fish_mcp_oauth_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -s V -l version -d 'Print version'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "migrate" -d 'Apply, inspect or roll back database migrations'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "serve" -d 'Run the authorization server and the MCP endpoint'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "client" -d 'Register, list, show, rotate and delete OAuth clients'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "user" -d 'Add, list and remove local accounts (`serve --login local`)'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "token" -d 'Revoke tokens (on-call) and delete dead ones (cron)'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "stats" -d 'Counts for on-call and monitoring: clients, tokens, failures, table sizes, last cleanup'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "verify" -d 'Run the deployment checklist: a self-test of this build, or against a deployment (--base-url)'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "backup" -d 'Write a consistent, checked snapshot of the database while the server keeps serving'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "restore" -d 'Check a backup and restore it into the database (then apply pending migrations)'
complete -c mcp-oauth -n "__fish_mcp_oauth_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -l dry-run -d 'Print each pending migration and its SQL; change nothing'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -f -a "status" -d 'List applied and pending migrations'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -f -a "rollback" -d 'Revert applied migrations, newest first (all of them unless --to)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and not __fish_seen_subcommand_from status rollback help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from status" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from status" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from status" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -l to -d 'Keep migrations up to and including VERSION; revert the ones after it (0 reverts all)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -l dry-run -d 'Print what would be reverted and its SQL; change nothing'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -s y -l yes -d 'Do not ask for confirmation'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "status" -d 'List applied and pending migrations'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Revert applied migrations, newest first (all of them unless --to)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l listen -d 'Address to listen on' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l issuer -d 'Public base URL (e.g. https://ai-memory.app); must be https unless loopback. Defaults to http://<listen>' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l login -d 'Who signs users in at the consent screen' -r -f -a "local\t'Accounts kept in the database (`mcp-oauth user add`), with a login form'
clerk\t'A Clerk session JWT in the `__session` cookie'"
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l cors-origin -d 'A browser origin allowed by CORS and by /api/mcp\'s Origin check (repeatable)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l code-ttl -d 'Authorization code lifetime' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l access-ttl -d 'Access token lifetime' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l refresh-ttl -d 'Refresh token lifetime' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l refresh-grace -d 'How long a rotated-out refresh token stays usable (concurrent refreshes from several processes); a replay inside it gets the same successor pair' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l revocation-lag -d 'How long a revocation made through another instance or the CLI may take to apply here: validated access tokens are trusted that long without asking the database again. Revocations through this instance apply at once. Default 2s on a remote database, 0s on an embedded file: there revocations from anywhere apply at once, and a validated token is reused only while nothing has been committed to the file since' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l allowed-host -d 'A Host name answered besides the issuer\'s and the listen address, as NAME (any port) or NAME:PORT (repeatable); other Hosts get 421 (DNS-rebinding protection)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l cimd -d 'Accept clients whose client_id is the https URL of a Client ID Metadata Document, fetched from public addresses only (on by default)' -r -f -a "on\t''
off\t''"
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l cimd-allow-domain -d 'Fetch client metadata documents only from this domain and its subdomains (repeatable; none: any public host)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l cimd-trusted-host -d 'Fetch client metadata documents from HOST:PORT even though it resolves to a loopback or private address (repeatable; for tests and private networks)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l extra-ca-file -d 'PEM file of certificate authorities trusted for outbound https (client metadata documents, Clerk\'s JWKS) besides the bundled roots' -r -F
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l oauth -d 'The kill switch: `off` disables the authorization server (metadata, authorize, token, register, revoke and the login pages answer 503 "OAuth is temporarily disabled") while /api/mcp keeps accepting Clerk session tokens. Takes effect at (re)start' -r -f -a "on\t''
off\t''"
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l no-registration -d 'Turn off dynamic client registration (RFC 7591)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l trust-proxy -d 'Trust X-Forwarded-For for client addresses (only behind a proxy that sets it)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l oauth-off-accepts-issued-tokens -d 'With --oauth off, keep accepting the mcp_at_ access tokens already issued (until they expire) instead of answering them 503'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -f -a "register" -d 'Register a client: a wizard on a terminal, or every answer as a flag'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -f -a "list" -d 'List every client'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -f -a "show" -d 'Show one client, with its live token counts'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -f -a "rotate" -d 'Issue a new client secret (printed once); the old one stops working now or after --grace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -f -a "delete" -d 'Delete a client and every code and token it holds'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and not __fish_seen_subcommand_from register list show rotate delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l name -d 'The name users see on the consent screen, e.g. "Claude"' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l redirect-uri -d 'A redirect URI the client may use (repeatable): https://…, or http:// on 127.0.0.1, [::1] or localhost (any port). Claude.ai uses https://claude.ai/api/mcp/auth_callback and https://claude.com/api/mcp/auth_callback' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l scope -d 'Scopes the client may be granted (repeatable, or one space- or comma-separated list): memories:read, memories:write, entities:read, entities:write' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l user-id -d 'The user who owns the client: a local user ID (`mcp-oauth user list`) or a Clerk user ID' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l auth-method -d 'How a confidential client sends its secret to the token endpoint [default: client_secret_basic]' -r -f -a "client_secret_basic\t'HTTP Basic authentication (RFC 6749 §2.3.1)'
client_secret_post\t'client_id and client_secret in the form body'"
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l public -d 'A public client, without a secret: it proves itself with PKCE alone (Claude Code, desktop and command-line apps that cannot keep a secret)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from register" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from list" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from list" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from show" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from show" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from show" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from rotate" -l grace -d 'Keep the old secret working this long (e.g. 30m, 1h, 7d), so the client can be updated without downtime. Without it the old secret stops working at once' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from rotate" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from rotate" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from rotate" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from delete" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from delete" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Do not ask for confirmation (needed without a terminal)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from delete" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from help" -f -a "register" -d 'Register a client: a wizard on a terminal, or every answer as a flag'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every client'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one client, with its live token counts'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Issue a new client secret (printed once); the old one stops working now or after --grace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a client and every code and token it holds'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand client; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Add a local account; the password is asked twice on a terminal or read with --password-stdin'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List local accounts'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Remove an account, end its sessions and revoke its tokens (its memories are kept)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from add" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from add" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from add" -l password-stdin -d 'Read the password from the first line of standard input instead of prompting (a password on the command line would show in `ps` and shell history)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from add" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from list" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from list" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from remove" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from remove" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Do not ask for confirmation (needed without a terminal)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from remove" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a local account; the password is asked twice on a terminal or read with --password-stdin'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "list" -d 'List local accounts'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove an account, end its sessions and revoke its tokens (its memories are kept)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -f -a "revoke" -d 'Revoke one token, or every token of a client or a user, for every server at once'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -f -a "cleanup" -d 'Delete expired codes and tokens, and revoked ones past the retention, in small batches'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and not __fish_seen_subcommand_from revoke cleanup help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -l token -d 'An access token (mcp_at_…) or refresh token (mcp_rt_…); `-` reads it from standard input, which keeps it out of `ps` and shell history. A refresh token takes its whole grant with it' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -l client -d 'Every token of this client (mcp_oauth_…)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -l user -d 'Every token of this user: a local user\'s name or usr_… ID, or a Clerk user ID' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -l dry-run -d 'Count what would be revoked; change nothing'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -s y -l yes -d 'Do not ask for confirmation (needed without a terminal)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -l retention -d 'How long revoked tokens and redeemed codes are kept, so that reusing one is still recognised as a replay (e.g. 7d, 36h)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -l unused-clients-after -d 'How long a dynamically registered client that was never issued an authorization code is kept before it is deleted (e.g. 1d, 12h). Clients registered with `client register`, and clients that ever got a code, are never deleted by cleanup' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -l batch-size -d 'At most this many rows deleted per transaction. Batches are sized to hold the write lock about 10 ms while another process (a `serve`) writes too, about 200 ms when none has for 2 s' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -l dry-run -d 'Count what would be deleted; change nothing'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from cleanup" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke one token, or every token of a client or a user, for every server at once'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "cleanup" -d 'Delete expired codes and tokens, and revoked ones past the retention, in small batches'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand stats" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand stats" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand stats" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand stats" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand stats" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand stats" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l base-url -d 'The deployment\'s public base URL (its issuer). Without it: the self-test' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l client-id -d 'A registered client\'s ID. Without one, verify registers a client dynamically when the server offers registration' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l client-secret -d 'The client\'s secret (none for a public client). Prefer the environment variable: a secret on the command line shows in `ps`' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l redirect-uri -d 'A redirect URI the client registered. Nothing needs to listen there: verify reads the code from the redirect\'s Location' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l username -d 'The local account to sign in as (with --password-stdin)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l session-token -d 'A Clerk session JWT: signs in at the consent screen (when no --username is given) and is checked as a Bearer token at /api/mcp' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l cors-origin -d 'An origin the deployment must allow by CORS (repeatable); a foreign origin must never be' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l max-access-ttl -d 'The longest access-token lifetime accepted (the server\'s --access-ttl)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l refresh-grace -d 'The server\'s --refresh-grace. Test 2 checks that the rotated-out refresh token fails after it: at once when it is 5s or less, otherwise only with --wait-grace (the item then passes with a note that this part was not checked). The self-test uses 1s' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l only -d 'Run only these checks: an id (test2.refresh) or a prefix (discovery, security). Repeatable' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l skip -d 'Do not run these checks (id or prefix). Repeatable' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l timeout -d 'Time limit for each check (and each request)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l junit -d 'Also write the results as JUnit XML to FILE, one testcase per check' -r -F
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l password-stdin -d 'Read the --username\'s password from the first line of standard input'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l wait-grace -d 'Wait out a long --refresh-grace in Test 2'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l include-rate-limit -d 'Also run security.rate-limit, which locks this address out of client authentication at the server for about a minute (it runs last, after the cleanup). Always on in the self-test'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l backup-drill -d 'With --base-url and --database (the deployment\'s database): run backup.drill, a restore drill: back the database up into a temporary file, restore it into another, start this build\'s server on it, and use a token issued before the backup there. Writes nothing to the deployment\'s database. Always run in the self-test'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l expect-oauth-off -d 'Verify a rollback: the deployment should have OAuth switched off (serve --oauth off). Checks that every OAuth endpoint says so and that what still applies works (health, a Clerk session token with --session-token). Without it, a switched-off deployment fails discovery.authorization-server and skips the OAuth checks'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand verify" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand completions" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand completions" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand completions" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand completions" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand completions" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -l dir -d 'Write the backup into DIR as mcp-oauth-<UTC time>.db (e.g. mcp-oauth-20261129T031700Z.db), creating DIR (0700) if needed' -r -F
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -l keep -d 'With --dir: keep the newest N backups and delete older ones (only files named like ours)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -l retention -d 'With --dir: delete backups older than this (e.g. 30d); the newest one is always kept' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand backup" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -l database -d 'Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -l auth-token -d 'Auth token for a remote database (a Turso database token)' -r
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -s y -l yes -d 'Do not ask for confirmation (needed when there is no terminal to ask on)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -l force -d 'Embedded database: restore even while a running `serve` holds it (the server carries on with the restored file)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -l replace -d 'Remote database: replace the tables of a database that is not empty, in one transaction'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -l json -d 'Print machine-readable JSON instead of tables and prose'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -s q -l quiet -d 'Print nothing but errors (and secrets that are shown once)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -s v -l verbose -d 'More detail: -v for debug logs, -vv for trace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand restore" -s h -l help -d 'Print help'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "migrate" -d 'Apply, inspect or roll back database migrations'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "serve" -d 'Run the authorization server and the MCP endpoint'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "client" -d 'Register, list, show, rotate and delete OAuth clients'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "user" -d 'Add, list and remove local accounts (`serve --login local`)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "token" -d 'Revoke tokens (on-call) and delete dead ones (cron)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "stats" -d 'Counts for on-call and monitoring: clients, tokens, failures, table sizes, last cleanup'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "verify" -d 'Run the deployment checklist: a self-test of this build, or against a deployment (--base-url)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "completions" -d 'Print a shell completion script'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "backup" -d 'Write a consistent, checked snapshot of the database while the server keeps serving'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "restore" -d 'Check a backup and restore it into the database (then apply pending migrations)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and not __fish_seen_subcommand_from migrate serve client user token stats verify completions backup restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "status" -d 'List applied and pending migrations'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "rollback" -d 'Revert applied migrations, newest first (all of them unless --to)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from client" -f -a "register" -d 'Register a client: a wizard on a terminal, or every answer as a flag'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from client" -f -a "list" -d 'List every client'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from client" -f -a "show" -d 'Show one client, with its live token counts'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from client" -f -a "rotate" -d 'Issue a new client secret (printed once); the old one stops working now or after --grace'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from client" -f -a "delete" -d 'Delete a client and every code and token it holds'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "add" -d 'Add a local account; the password is asked twice on a terminal or read with --password-stdin'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "list" -d 'List local accounts'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "remove" -d 'Remove an account, end its sessions and revoke its tokens (its memories are kept)'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "revoke" -d 'Revoke one token, or every token of a client or a user, for every server at once'
complete -c mcp-oauth -n "__fish_mcp_oauth_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "cleanup" -d 'Delete expired codes and tokens, and revoked ones past the retention, in small batches'
