-- When a client was first issued an authorization code; NULL until then. `token cleanup`
-- deletes dynamically registered clients still NULL after its `--unused-clients-after`
-- (src/storage/cleanup.rs): anyone can register, and a registration nobody ever completed is
-- only stored bytes. Set by a trigger, so every way of issuing a code counts. Clients that
-- exist before this migration count as used: their codes may already have been cleaned up.
ALTER TABLE oauth_clients ADD COLUMN first_code_at INTEGER;
UPDATE oauth_clients SET first_code_at = created_at;
CREATE TRIGGER oauth_clients_first_code AFTER INSERT ON oauth_authorization_codes BEGIN
    UPDATE oauth_clients SET first_code_at = new.created_at
        WHERE client_id = new.client_id AND first_code_at IS NULL;
END;
