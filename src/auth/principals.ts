import { clock } from "../clock";
import type { Env } from "../env";
import { findPrincipal } from "../records/d1";
import { ACCESS_KEY_ID_PATTERN } from "./accessKeyId";
import { Lru } from "./lru";
import { importBoxKey, openSecret } from "./secretBox";

export interface Principal {
	accessKeyId: string;
	accountId: string;
	secretAccessKey: string;
	/** Operation names, or "*" for all. */
	allowedOperations: ReadonlySet<string>;
	rateTier: "standard" | "bulk";
}

export { ACCESS_KEY_ID_PATTERN };

/**
 * How long a looked-up principal is trusted before D1 is asked again: a revoked
 * key stops working within this bound (docs/operations.md). Unknown keys are remembered for
 * less, so a key created a moment ago is usable soon.
 */
export const PRINCIPAL_CACHE_MS = 60_000;
const UNKNOWN_KEY_CACHE_MS = 5_000;
/** Known principals held per isolate; the least recently used leaves first. */
const PRINCIPAL_CACHE_MAX = 10_000;
/**
 * Unknown access key ids remembered per isolate, in a cache of their own: a spray
 * of fake ids only ever evicts other fake ids, never a known principal.
 */
export const UNKNOWN_KEY_CACHE_MAX = 10_000;

/** Known principals, with the time after which D1 is asked again. */
const known = new Lru<string, { principal: Principal; until: number }>(PRINCIPAL_CACHE_MAX);
/** Unknown (or revoked) ids → until when that answer stands. */
const unknown = new Lru<string, number>(UNKNOWN_KEY_CACHE_MAX);
let boxKey: { raw: string; key: Promise<CryptoKey> } | undefined;

function secretKey(env: Env): Promise<CryptoKey> {
	const raw = env.PRINCIPAL_SECRET_KEY;
	if (!raw) throw new Error("PRINCIPAL_SECRET_KEY is not set");
	if (boxKey?.raw !== raw) boxKey = { raw, key: importBoxKey(raw) };
	return boxKey.key;
}

/** The principal behind an access key id: from the caches, else one D1 read. */
export async function lookupPrincipal(env: Env, accessKeyId: string): Promise<Principal | null> {
	if (!ACCESS_KEY_ID_PATTERN.test(accessKeyId)) return null;
	const now = clock.now();
	const hit = known.get(accessKeyId);
	if (hit && hit.until > now) return hit.principal;
	const unknownUntil = unknown.get(accessKeyId);
	if (unknownUntil !== undefined && unknownUntil > now) return null;
	return load(env, accessKeyId, now);
}

/**
 * Only principals this isolate already holds (an expired one is refreshed: one
 * read per key per PRINCIPAL_CACHE_MS at most); any other id is null with no read.
 * For callers from an address that has failed authentication too often
 * (authenticate.ts): they may go on using known keys, but cost D1 nothing else.
 */
export async function lookupKnownPrincipal(
	env: Env,
	accessKeyId: string,
): Promise<Principal | null> {
	const hit = known.get(accessKeyId);
	if (!hit) return null;
	const now = clock.now();
	return hit.until > now ? hit.principal : load(env, accessKeyId, now);
}

async function load(env: Env, accessKeyId: string, now: number): Promise<Principal | null> {
	const row = await findPrincipal(env.DB, accessKeyId);
	if (row?.status !== "ACTIVE") {
		known.delete(accessKeyId);
		unknown.set(accessKeyId, now + UNKNOWN_KEY_CACHE_MS);
		return null;
	}
	const principal: Principal = {
		accessKeyId,
		accountId: row.accountId,
		secretAccessKey: await openSecret(await secretKey(env), accessKeyId, row.secretCiphertext),
		allowedOperations: new Set(JSON.parse(row.allowedOperations) as string[]),
		rateTier: row.rateTier === "bulk" ? "bulk" : "standard",
	};
	unknown.delete(accessKeyId);
	known.set(accessKeyId, { principal, until: now + PRINCIPAL_CACHE_MS });
	return principal;
}

export function mayCall(principal: Principal, operation: string): boolean {
	return principal.allowedOperations.has("*") || principal.allowedOperations.has(operation);
}

/** Tests revoke a key and then check the bound; they clear the cache instead of waiting for it. */
export function clearPrincipalCacheForTests(): void {
	known.clear();
	unknown.clear();
}

/** How many entries each cache holds (tests check the bounds). */
export function principalCacheSizesForTests(): { known: number; unknown: number } {
	return { known: known.size, unknown: unknown.size };
}
