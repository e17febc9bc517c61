DROP TRIGGER IF EXISTS oauth_clients_first_code;
ALTER TABLE oauth_clients DROP COLUMN first_code_at;
