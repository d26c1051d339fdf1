-- The queryable copy of what the license objects decide (they are authoritative).
-- Every write from the outbox is idempotent by a deterministic key.

CREATE TABLE licenses (
	license_arn TEXT PRIMARY KEY,
	license_id TEXT NOT NULL,
	issuer_account TEXT NOT NULL,
	beneficiary TEXT NOT NULL,
	beneficiary_account TEXT,
	product_sku TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	status TEXT NOT NULL,
	version INTEGER NOT NULL,
	home_region TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	doc TEXT NOT NULL
);
CREATE INDEX licenses_by_issuer ON licenses (issuer_account, license_arn);

CREATE TABLE license_versions (
	license_arn TEXT NOT NULL,
	version INTEGER NOT NULL,
	status TEXT NOT NULL,
	created_at TEXT NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (license_arn, version)
);

CREATE TABLE license_entitlements (
	license_arn TEXT NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	unit TEXT NOT NULL,
	max_count INTEGER,
	overage INTEGER NOT NULL DEFAULT 0,
	value TEXT,
	allow_check_in INTEGER,
	PRIMARY KEY (license_arn, version, name)
);

-- One row per borrow. status: ACTIVE, CHECKED_IN, EXPIRED.
CREATE TABLE checkouts (
	consumption_token TEXT PRIMARY KEY,
	license_arn TEXT NOT NULL,
	account_id TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	client_token TEXT NOT NULL,
	node_id TEXT,
	entitlements TEXT NOT NULL,
	status TEXT NOT NULL,
	issued_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	returned_at TEXT,
	request_id TEXT NOT NULL
);
CREATE INDEX checkouts_by_license ON checkouts (license_arn, status);

CREATE TABLE audit_events (
	event_id TEXT PRIMARY KEY,
	at TEXT NOT NULL,
	account_id TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	operation TEXT NOT NULL,
	resource_arn TEXT NOT NULL,
	request_id TEXT NOT NULL,
	detail TEXT
);
CREATE INDEX audit_by_resource ON audit_events (resource_arn, at);
