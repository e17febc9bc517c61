-- Back to 0001's WITHOUT ROWID tables keyed by the digest (same columns, same indexes).
CREATE TABLE oauth_access_tokens_0001 (
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
INSERT INTO oauth_access_tokens_0001 (token_hash, grant_id, client_id, user_id, scope, resource, refresh_token_hash, created_at, expires_at, revoked_at)
    SELECT token_hash, grant_id, client_id, user_id, scope, resource, refresh_token_hash, created_at, expires_at, revoked_at FROM oauth_access_tokens;
DROP TABLE oauth_access_tokens;
ALTER TABLE oauth_access_tokens_0001 RENAME TO oauth_access_tokens;
CREATE INDEX idx_oauth_access_client_id ON oauth_access_tokens (client_id);
CREATE INDEX idx_oauth_access_user_id ON oauth_access_tokens (user_id);
CREATE INDEX idx_oauth_access_expires_at ON oauth_access_tokens (expires_at);
CREATE INDEX idx_oauth_access_revoked_at ON oauth_access_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX idx_oauth_access_grant_id ON oauth_access_tokens (grant_id);
CREATE INDEX idx_oauth_access_created_at ON oauth_access_tokens (created_at);

CREATE TABLE oauth_refresh_tokens_0001 (
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
INSERT INTO oauth_refresh_tokens_0001 (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at, rotated_at, replaced_by, revoked_at)
    SELECT token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at, rotated_at, replaced_by, revoked_at FROM oauth_refresh_tokens;
DROP TABLE oauth_refresh_tokens;
ALTER TABLE oauth_refresh_tokens_0001 RENAME TO oauth_refresh_tokens;
CREATE INDEX idx_oauth_refresh_client_id ON oauth_refresh_tokens (client_id);
CREATE INDEX idx_oauth_refresh_user_id ON oauth_refresh_tokens (user_id);
CREATE INDEX idx_oauth_refresh_expires_at ON oauth_refresh_tokens (expires_at);
CREATE INDEX idx_oauth_refresh_revoked_at ON oauth_refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX idx_oauth_refresh_grant_id ON oauth_refresh_tokens (grant_id);
