import type { Env } from "./env";

export interface Config {
	issuerId: string;
	partition: string;
	/** null: every region is served here. */
	homeRegions: ReadonlySet<string> | null;
	redirects: Readonly<Record<string, string>>;
	maxTtlMinutes: number;
	licenseRateLimit: number;
	licenseRateWindowMs: number;
}

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

// Vars never change within an isolate, so parse them once per env object.
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
		maxTtlMinutes: positiveInt(env.MAX_TTL_MINUTES, DEFAULT_MAX_TTL_MINUTES),
		licenseRateLimit: positiveInt(env.LICENSE_RATE_LIMIT, 1000),
		licenseRateWindowMs: positiveInt(env.LICENSE_RATE_WINDOW_MS, 1000),
	};
	cache.set(env, config);
	return config;
}
