-- Clients known through a Client ID Metadata Document (their client_id is the https URL of the
-- document): when the server last took their name and redirect URIs from a fetched document.
-- NULL for every other client. Such a client's `registration` column reads 'dynamic' (the
-- column's CHECK constraint predates metadata documents, and rebuilding the table that tokens
-- and codes reference is not worth it); this column is what marks it.
ALTER TABLE oauth_clients ADD COLUMN metadata_document_fetched_at INTEGER;
