-- Back to 0006: rotated tokens no longer carry the nonce (a replay inside the grace then
-- mints a sibling pair again).
ALTER TABLE oauth_refresh_tokens DROP COLUMN successor_nonce;
