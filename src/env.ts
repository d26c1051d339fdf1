import type { LicenseObject } from "./license/object";

/** Bindings and configuration of the Worker (wrangler.toml vars + secrets). */
export interface Env {
	LICENSES: DurableObjectNamespace<LicenseObject>;
	DB: D1Database;
	/** Deployment issuer id, the `iss` of every signed token. */
	ISSUER_ID?: string;
	/** ARN partition this deployment serves ("aws", "aws-cn", ...). */
	PARTITION?: string;
	/** Comma-separated home regions served here, or "*" for all. */
	HOME_REGIONS?: string;
	/** JSON object: partition or region → endpoint URL of the deployment serving it. */
	REDIRECTS?: string;
	/** "true": licenses homed in EU regions get objects in the `eu` jurisdiction. */
	EU_JURISDICTION?: string;
	/** Upper bound for BorrowConfiguration.MaxTimeToLiveInMinutes (default 43200). */
	MAX_TTL_MINUTES?: string;
	/** JSON array of {kid, activeFrom, retiredAt?}: the signing-key schedule. */
	SIGNING_KEYS?: string;
	/** Secret. JSON object kid → private RSA JWK. */
	SIGNING_PRIVATE_KEYS?: string;
	/** Secret. Base64 of 32 bytes: the AES-256-GCM key principal secrets are stored under. */
	PRINCIPAL_SECRET_KEY?: string;
	/** Workers Rate Limiting bindings, per access key: the standard and the bulk tier. */
	PRINCIPAL_LIMITER?: RateLimit;
	PRINCIPAL_LIMITER_BULK?: RateLimit;
	/** Workers Rate Limiting binding: failed authentications per client address (`cf-connecting-ip`). */
	AUTH_FAILURE_LIMITER?: RateLimit;
	/** Per-license strict limit: checkouts per window (default 1000 per 1 s). */
	LICENSE_RATE_LIMIT?: string;
	LICENSE_RATE_WINDOW_MS?: string;
	/** SPEC §11 limits (docs/operations.md "Limits and retention"); each defaults when unset. */
	MAX_LICENSES_PER_ACCOUNT?: string;
	MAX_VERSIONS_PER_LICENSE?: string;
	MAX_LICENSE_DOCUMENT_BYTES?: string;
	MAX_CHECKOUT_METADATA_BYTES?: string;
	MAX_LIVE_BORROWS_PER_LICENSE?: string;
	MAX_LIST_RESPONSE_BYTES?: string;
	/** SPEC §9: minutes from a revocation list's issuedAt to its exp (default 60). */
	REVOCATION_LIST_TTL_MINUTES?: string;
	/** SPEC §11 retention, in days: ended borrows in their object (30), D1 history (400). */
	ENDED_BORROW_RETENTION_DAYS?: string;
	HISTORY_RETENTION_DAYS?: string;
}
