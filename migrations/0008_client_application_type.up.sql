-- RFC 7591 / OpenID Connect Registration `application_type` of a dynamically registered client
-- ('native' or 'web'), as the client gave it; NULL when it gave none (clients older than MCP
-- 2026-07-28), which keeps the redirect rules that applied before the field existed.
ALTER TABLE oauth_clients ADD COLUMN application_type TEXT;
