import { clock } from "../clock";
import type { Env } from "../env";
import { findPrincipal } from "../records/d1";
import { importBoxKey, openSecret } from "./secretBox";

export interface Principal {
	accessKeyId: string;
	accountId: string;
	secretAccessKey: string;
	/** Operation names, or "*" for all. */
	allowedOperations: ReadonlySet<string>;
	rateTier: "standard" | "bulk";
}

/**
 * How long a looked-up principal is trusted before D1 is asked again: a revoked
 * key stops working within this bound (README). Unknown keys are remembered for
 * less, so a key created a moment ago is usable soon.
 */
export const PRINCIPAL_CACHE_MS = 60_000;
const UNKNOWN_CACHE_MS = 5_000;
const CACHE_LIMIT = 10_000;

const cache = new Map<string, { principal: Principal | null; until: number }>();
let boxKey: { raw: string; key: Promise<CryptoKey> } | undefined;

function secretKey(env: Env): Promise<CryptoKey> {
	const raw = env.PRINCIPAL_SECRET_KEY;
	if (!raw) throw new Error("PRINCIPAL_SECRET_KEY is not set");
	if (boxKey?.raw !== raw) boxKey = { raw, key: importBoxKey(raw) };
	return boxKey.key;
}

export async function lookupPrincipal(env: Env, accessKeyId: string): Promise<Principal | null> {
	const now = clock.now();
	const hit = cache.get(accessKeyId);
	if (hit && hit.until > now) return hit.principal;
	const row = await findPrincipal(env.DB, accessKeyId);
	let principal: Principal | null = null;
	if (row && row.status === "ACTIVE") {
		principal = {
			accessKeyId,
			accountId: row.accountId,
			secretAccessKey: await openSecret(await secretKey(env), accessKeyId, row.secretCiphertext),
			allowedOperations: new Set(JSON.parse(row.allowedOperations) as string[]),
			rateTier: row.rateTier === "bulk" ? "bulk" : "standard",
		};
	}
	if (cache.size >= CACHE_LIMIT) cache.clear();
	cache.set(accessKeyId, {
		principal,
		until: now + (principal ? PRINCIPAL_CACHE_MS : UNKNOWN_CACHE_MS),
	});
	return principal;
}

export function mayCall(principal: Principal, operation: string): boolean {
	return principal.allowedOperations.has("*") || principal.allowedOperations.has(operation);
}

/** Tests revoke a key and then check the bound; they clear the cache instead of waiting for it. */
export function clearPrincipalCacheForTests(): void {
	cache.clear();
}
