-- Local accounts (`serve --login local`) and their browser sessions.
CREATE TABLE users (
    user_id        TEXT PRIMARY KEY NOT NULL,   -- the id tokens are bound to
    username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash  TEXT NOT NULL,               -- argon2id PHC
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER
);

CREATE TABLE login_sessions (
    session_hash   BLOB PRIMARY KEY NOT NULL,   -- SHA-256 of the cookie value
    user_id        TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idx_login_sessions_user_id ON login_sessions (user_id);
CREATE INDEX idx_login_sessions_expires_at ON login_sessions (expires_at);
