import { importBoxKey, SecretKeyConfigError } from "./auth/secretBox";
import { clock } from "./clock";
import type { Env } from "./env";
import { migrationApplied } from "./records/d1";
import { importSigningKey, SigningConfigError, scheduledKeys, signingKeyAt } from "./signing/keys";

/**
 * `GET /health` (SPEC §12): no authentication, and a misconfigured deployment is
 * obvious in one request. Each check names what is wrong — a secret by its name and a
 * fixed reason, never its value, since the endpoint is public:
 * - signingKeys: SIGNING_KEYS / SIGNING_PRIVATE_KEYS parse, a key is active now, and
 *   it imports as an RSA-PSS signing key;
 * - principalKey: PRINCIPAL_SECRET_KEY is set and is base64 of 32 bytes;
 * - d1: D1 answers, with the newest file of migrations/ applied.
 * 200 `{"status":"ok","checks":{…}}` or 503 `{"status":"fail","checks":{…}}`.
 */

/**
 * The newest file of migrations/. The Worker cannot list that folder at run time, so
 * it is written here; test/integration/health.test.ts fails when a migration is added
 * without updating it (it compares with the folder as the test runner reads it).
 */
export const LATEST_MIGRATION = "0004_borrow_ids.sql";

/** A result is reused this long per isolate: the endpoint is public and may be polled hard. */
export const HEALTH_CACHE_MS = 5_000;

export type Check = { status: "ok"; [detail: string]: string } | { status: "fail"; reason: string };

export interface Health {
	status: "ok" | "fail";
	checks: { signingKeys: Check; principalKey: Check; d1: Check };
}

async function signingKeysCheck(env: Env): Promise<Check> {
	try {
		const key = signingKeyAt(scheduledKeys(env), clock.now());
		await importSigningKey(key);
		return { status: "ok", kid: key.kid };
	} catch (error) {
		// SigningConfigError messages name the setting and kid only (src/signing/keys.ts).
		if (error instanceof SigningConfigError) return { status: "fail", reason: error.message };
		return { status: "fail", reason: "the signing keys cannot be loaded" };
	}
}

async function principalKeyCheck(env: Env): Promise<Check> {
	if (!env.PRINCIPAL_SECRET_KEY)
		return { status: "fail", reason: "PRINCIPAL_SECRET_KEY is not set" };
	try {
		await importBoxKey(env.PRINCIPAL_SECRET_KEY);
		return { status: "ok" };
	} catch (error) {
		if (error instanceof SecretKeyConfigError) return { status: "fail", reason: error.message };
		return { status: "fail", reason: "PRINCIPAL_SECRET_KEY cannot be imported" };
	}
}

async function d1Check(env: Env): Promise<Check> {
	let applied: Awaited<ReturnType<typeof migrationApplied>>;
	try {
		applied = await migrationApplied(env.DB, LATEST_MIGRATION);
	} catch {
		// D1's error text can carry internals; the operator needs to know it did not answer.
		return { status: "fail", reason: "D1 did not answer a query" };
	}
	if (applied === "applied") return { status: "ok", migration: LATEST_MIGRATION };
	const what = applied === "no-table" ? "no migration is applied" : "it is not applied";
	return {
		status: "fail",
		reason: `the latest migration is ${LATEST_MIGRATION} and ${what}: run wrangler d1 migrations apply DB --remote`,
	};
}

async function checkHealth(env: Env): Promise<Health> {
	const [signingKeys, principalKey, d1] = await Promise.all([
		signingKeysCheck(env),
		principalKeyCheck(env),
		d1Check(env),
	]);
	const ok = [signingKeys, principalKey, d1].every((c) => c.status === "ok");
	return { status: ok ? "ok" : "fail", checks: { signingKeys, principalKey, d1 } };
}

// One result per isolate and env, shared by concurrent requests while it is computed.
let cached: { env: Env; until: number; health: Promise<Health> } | undefined;

function cachedHealth(env: Env): Promise<Health> {
	const now = clock.now();
	if (cached && cached.env === env && now < cached.until) return cached.health;
	const health = checkHealth(env);
	cached = { env, until: now + HEALTH_CACHE_MS, health };
	return health;
}

export function isHealthRequest(request: Request): boolean {
	return request.method === "GET" && new URL(request.url).pathname === "/health";
}

export async function healthResponse(env: Env): Promise<Response> {
	const health = await cachedHealth(env);
	return Response.json(health, {
		status: health.status === "ok" ? 200 : 503,
		headers: { "cache-control": "no-store" },
	});
}
