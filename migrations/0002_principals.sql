-- Access keys. The secret is needed in the clear for HMAC, so it is stored
-- encrypted (AES-256-GCM, key in the PRINCIPAL_SECRET_KEY Worker secret, the
-- access key id as associated data): a copy of the database alone reveals none.
CREATE TABLE principals (
	access_key_id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL CHECK (length(account_id) = 12),
	secret_ciphertext TEXT NOT NULL,
	-- JSON array of operation names; ["*"] allows every operation.
	allowed_operations TEXT NOT NULL,
	-- Which principal rate limiter applies: 'standard' or 'bulk'.
	rate_tier TEXT NOT NULL DEFAULT 'standard',
	status TEXT NOT NULL DEFAULT 'ACTIVE',
	created_at TEXT NOT NULL,
	revoked_at TEXT
);
