ALTER TABLE oauth_clients DROP COLUMN application_type;
