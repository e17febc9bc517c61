ALTER TABLE oauth_clients DROP COLUMN metadata_document_fetched_at;
