-- What on-call asks of `mcp-oauth stats`: failures over time and when cleanup last ran.
CREATE TABLE auth_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,      -- e.g. 'client_auth_failed', 'login_failed', 'authorization_denied'
    client_id   TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX idx_auth_events_created_at ON auth_events (created_at);

CREATE TABLE maintenance_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    task         TEXT NOT NULL,     -- 'token_cleanup'
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    summary      TEXT NOT NULL      -- JSON: rows deleted per table
);
