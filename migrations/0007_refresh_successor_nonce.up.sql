-- A rotated refresh token records the random nonce its successor pair was derived with
-- (`oauth::grants`): successor = HMAC(presented token, nonce, label). A replay of the rotated
-- token inside `--refresh-grace` recomputes the same pair from the token it presents and this
-- nonce, so every holder converges on one chain and nothing that could be presented is stored.
-- The nonce alone is worthless: without the presented token nothing can be derived from it.
-- NULL on unrotated tokens and on tokens rotated before this migration.
ALTER TABLE oauth_refresh_tokens ADD COLUMN successor_nonce BLOB;
