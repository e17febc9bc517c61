-- OAuth 2.1 state: registered clients, authorization codes, access and refresh tokens.
-- Every secret column holds a digest, never the secret: client secrets as argon2id PHC strings,
-- codes and tokens as SHA-256 of the token (32-byte BLOB). Times are Unix seconds (UTC).
-- A "grant" is one user's approval of one client; every code and token descended from it
-- carries its grant_id so that replay detection and revocation can take the whole family.

CREATE TABLE oauth_clients (
    client_id                  TEXT PRIMARY KEY NOT NULL,
    client_name                TEXT NOT NULL,
    secret_hash                TEXT,              -- argon2id PHC; NULL for public clients
    previous_secret_hash       TEXT,              -- still accepted until previous_secret_expires_at
    previous_secret_expires_at INTEGER,
    redirect_uris              TEXT NOT NULL,     -- JSON array of exact strings
    scopes                     TEXT NOT NULL,     -- space-separated, as registered
    token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN ('none', 'client_secret_post', 'client_secret_basic')),
    user_id                    TEXT,              -- owner; NULL for dynamically registered clients
    registration               TEXT NOT NULL DEFAULT 'cli' CHECK (registration IN ('cli', 'dynamic')),
    created_at                 INTEGER NOT NULL,
    secret_rotated_at          INTEGER,
    last_used_at               INTEGER,
    disabled_at                INTEGER
);
CREATE INDEX idx_oauth_clients_user_id ON oauth_clients (user_id);
CREATE INDEX idx_oauth_clients_created_at ON oauth_clients (created_at);

CREATE TABLE oauth_authorization_codes (
    code_hash             BLOB PRIMARY KEY NOT NULL,
    grant_id              TEXT NOT NULL,
    client_id             TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id               TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    resource              TEXT NOT NULL,
    code_challenge        TEXT,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    used_at               INTEGER            -- single use: set by the one redemption that wins
) WITHOUT ROWID;
CREATE INDEX idx_oauth_codes_client_id ON oauth_authorization_codes (client_id);
CREATE INDEX idx_oauth_codes_user_id ON oauth_authorization_codes (user_id);
CREATE INDEX idx_oauth_codes_expires_at ON oauth_authorization_codes (expires_at);
CREATE INDEX idx_oauth_codes_grant_id ON oauth_authorization_codes (grant_id);

CREATE TABLE oauth_access_tokens (
    token_hash            BLOB PRIMARY KEY NOT NULL,
    grant_id              TEXT NOT NULL,
    client_id             TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id               TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    resource              TEXT NOT NULL,
    refresh_token_hash    BLOB,              -- the refresh token issued beside it
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    revoked_at            INTEGER
) WITHOUT ROWID;
CREATE INDEX idx_oauth_access_client_id ON oauth_access_tokens (client_id);
CREATE INDEX idx_oauth_access_user_id ON oauth_access_tokens (user_id);
CREATE INDEX idx_oauth_access_expires_at ON oauth_access_tokens (expires_at);
CREATE INDEX idx_oauth_access_revoked_at ON oauth_access_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX idx_oauth_access_grant_id ON oauth_access_tokens (grant_id);
CREATE INDEX idx_oauth_access_created_at ON oauth_access_tokens (created_at);

CREATE TABLE oauth_refresh_tokens (
    token_hash            BLOB PRIMARY KEY NOT NULL,
    grant_id              TEXT NOT NULL,
    client_id             TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id               TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    resource              TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    rotated_at            INTEGER,           -- set once, by the one refresh that rotated it
    replaced_by           BLOB,              -- digest of its successor
    revoked_at            INTEGER
) WITHOUT ROWID;
CREATE INDEX idx_oauth_refresh_client_id ON oauth_refresh_tokens (client_id);
CREATE INDEX idx_oauth_refresh_user_id ON oauth_refresh_tokens (user_id);
CREATE INDEX idx_oauth_refresh_expires_at ON oauth_refresh_tokens (expires_at);
CREATE INDEX idx_oauth_refresh_revoked_at ON oauth_refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX idx_oauth_refresh_grant_id ON oauth_refresh_tokens (grant_id);
