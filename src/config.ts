import type { Env } from "./env";

/**
 * The deployment's vars, parsed. Loaded by each entry point — the Worker's routes,
 * the cron handler, a license object's constructor — and passed down: nothing below
 * an entry point reads a var from `env`. Parsing is cached per env object, and the
 * env object lives as long as its isolate, so it happens once per isolate; a
 * redeploy with other vars is a new isolate (and new objects).
 */
export interface Config {
	issuerId: string;
	partition: string;
	/** null: every region is served here. */
	homeRegions: ReadonlySet<string> | null;
	redirects: Readonly<Record<string, string>>;
	/** EU_JURISDICTION=true: licenses homed in EU regions get objects in the `eu` jurisdiction. */
	euJurisdiction: boolean;
	maxTtlMinutes: number;
	licenseRateLimit: number;
	licenseRateWindowMs: number;
	/** SPEC §9: a revocation list's life, `exp` − `issuedAt` (REVOCATION_LIST_TTL_MINUTES, default 60). */
	revocationListTtlMs: number;
	limits: Limits;
	retention: Retention;
}

/** SPEC §11: what one tenant may put into storage every tenant shares. */
export interface Limits {
	/** Non-deleted licenses one issuer account may hold (MAX_LICENSES_PER_ACCOUNT). */
	licensesPerAccount: number;
	/** Versions one license may have, the first included (MAX_VERSIONS_PER_LICENSE). */
	versionsPerLicense: number;
	/** UTF-8 bytes of one license document, a version as GetLicense returns it (MAX_LICENSE_DOCUMENT_BYTES). */
	licenseDocumentBytes: number;
	/** UTF-8 bytes of one checkout's NodeId + CheckoutMetadata, serialised (MAX_CHECKOUT_METADATA_BYTES). */
	checkoutMetadataBytes: number;
	/** Live borrows of one license (MAX_LIVE_BORROWS_PER_LICENSE); a checkout counts from its decision. */
	liveBorrowsPerLicense: number;
	/** UTF-8 bytes of one List* response (MAX_LIST_RESPONSE_BYTES). */
	listResponseBytes: number;
}

/** SPEC §11: how long ended things are kept. */
export interface Retention {
	/** An ended borrow stays in its license's object this long after it ended (ENDED_BORROW_RETENTION_DAYS). */
	endedBorrowMs: number;
	/** D1 checkouts (ended) and audit_events older than this are deleted (HISTORY_RETENTION_DAYS). */
	historyMs: number;
}

const DAY_MS = 86_400_000;

export const DEFAULT_LIMITS: Readonly<Limits> = {
	licensesPerAccount: 10_000,
	versionsPerLicense: 500,
	licenseDocumentBytes: 64 * 1024,
	checkoutMetadataBytes: 8 * 1024,
	liveBorrowsPerLicense: 100_000,
	listResponseBytes: 1024 * 1024,
};

const DEFAULT_RETENTION_DAYS = { endedBorrow: 30, history: 400 } as const;

const DEFAULT_MAX_TTL_MINUTES = 43_200;

function positiveInt(raw: string | undefined, fallback: number): number {
	if (raw === undefined || raw === "") return fallback;
	const n = Number(raw);
	if (!Number.isSafeInteger(n) || n <= 0)
		throw new Error(`invalid positive integer in config: ${raw}`);
	return n;
}

function parseRedirects(raw: string | undefined): Record<string, string> {
	if (!raw) return {};
	const parsed: unknown = JSON.parse(raw);
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
		throw new Error("REDIRECTS must be a JSON object");
	}
	const out: Record<string, string> = Object.create(null);
	for (const [k, v] of Object.entries(parsed)) {
		if (typeof v === "string") out[k] = v;
	}
	return out;
}

const cache = new WeakMap<object, Config>();

export function loadConfig(env: Env): Config {
	const hit = cache.get(env);
	if (hit) return hit;
	const regions = (env.HOME_REGIONS ?? "*").trim();
	const config: Config = {
		issuerId: env.ISSUER_ID || "edge-license-manager",
		partition: env.PARTITION || "aws",
		homeRegions:
			regions === "*" || regions === ""
				? null
				: new Set(
						regions
							.split(",")
							.map((r) => r.trim())
							.filter(Boolean),
					),
		redirects: parseRedirects(env.REDIRECTS),
		euJurisdiction: env.EU_JURISDICTION === "true",
		maxTtlMinutes: positiveInt(env.MAX_TTL_MINUTES, DEFAULT_MAX_TTL_MINUTES),
		licenseRateLimit: positiveInt(env.LICENSE_RATE_LIMIT, 1000),
		licenseRateWindowMs: positiveInt(env.LICENSE_RATE_WINDOW_MS, 1000),
		revocationListTtlMs: positiveInt(env.REVOCATION_LIST_TTL_MINUTES, 60) * 60_000,
		limits: {
			licensesPerAccount: positiveInt(
				env.MAX_LICENSES_PER_ACCOUNT,
				DEFAULT_LIMITS.licensesPerAccount,
			),
			versionsPerLicense: positiveInt(
				env.MAX_VERSIONS_PER_LICENSE,
				DEFAULT_LIMITS.versionsPerLicense,
			),
			licenseDocumentBytes: positiveInt(
				env.MAX_LICENSE_DOCUMENT_BYTES,
				DEFAULT_LIMITS.licenseDocumentBytes,
			),
			checkoutMetadataBytes: positiveInt(
				env.MAX_CHECKOUT_METADATA_BYTES,
				DEFAULT_LIMITS.checkoutMetadataBytes,
			),
			liveBorrowsPerLicense: positiveInt(
				env.MAX_LIVE_BORROWS_PER_LICENSE,
				DEFAULT_LIMITS.liveBorrowsPerLicense,
			),
			listResponseBytes: positiveInt(env.MAX_LIST_RESPONSE_BYTES, DEFAULT_LIMITS.listResponseBytes),
		},
		retention: {
			endedBorrowMs:
				positiveInt(env.ENDED_BORROW_RETENTION_DAYS, DEFAULT_RETENTION_DAYS.endedBorrow) * DAY_MS,
			historyMs: positiveInt(env.HISTORY_RETENTION_DAYS, DEFAULT_RETENTION_DAYS.history) * DAY_MS,
		},
	};
	cache.set(env, config);
	return config;
}
