import { clock } from "../clock";
import type { Env } from "../env";

/**
 * The signing-key schedule. Keys are the deployment's, shared by every tenant:
 * `SIGNING_KEYS` (a var) lists `{kid, activeFrom, retiredAt?}`; the private keys
 * are in the `SIGNING_PRIVATE_KEYS` secret as `{kid: private JWK}`. The key that
 * signs is the newest one whose `activeFrom` has passed (and that is not retired).
 * The JWKS publishes a key from before it activates until the deployment's maximum
 * borrow TTL after it retires, so every token still alive can be verified.
 */
export interface ScheduledKey {
	kid: string;
	activeFrom: number;
	retiredAt: number | null;
	/** Private JWK; its public half is published. */
	jwk: JsonWebKey;
}

export class SigningConfigError extends Error {
	override name = "SigningConfigError";
}

function parseTime(value: unknown, what: string): number {
	const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
	if (Number.isNaN(ms)) throw new SigningConfigError(`${what} is not an ISO-8601 date`);
	return ms;
}

/** Without SIGNING_KEYS a single key is active since the epoch (a dev key); more than one would be ambiguous. */
function noScheduleKeys(
	privates: Record<string, JsonWebKey>,
): { kid: string; activeFrom: string }[] {
	const kids = Object.keys(privates);
	if (kids.length !== 1) {
		throw new SigningConfigError(
			"SIGNING_KEYS must schedule the keys when SIGNING_PRIVATE_KEYS holds more than one",
		);
	}
	return kids.map((kid) => ({ kid, activeFrom: "1970-01-01T00:00:00Z" }));
}

function parseKeys(env: Env): ScheduledKey[] {
	if (!env.SIGNING_PRIVATE_KEYS) throw new SigningConfigError("SIGNING_PRIVATE_KEYS is not set");
	const privates = JSON.parse(env.SIGNING_PRIVATE_KEYS) as Record<string, JsonWebKey>;
	const schedule: unknown[] = env.SIGNING_KEYS
		? (JSON.parse(env.SIGNING_KEYS) as unknown[])
		: noScheduleKeys(privates);
	return schedule.map((raw) => {
		const entry = raw as { kid?: unknown; activeFrom?: unknown; retiredAt?: unknown };
		if (typeof entry.kid !== "string" || !entry.kid)
			throw new SigningConfigError("a SIGNING_KEYS entry has no kid");
		const jwk = privates[entry.kid];
		if (jwk?.kty !== "RSA" || !jwk.n || !jwk.d) {
			throw new SigningConfigError(`no private RSA JWK for kid ${entry.kid}`);
		}
		return {
			kid: entry.kid,
			activeFrom: parseTime(entry.activeFrom, `activeFrom of ${entry.kid}`),
			retiredAt:
				entry.retiredAt == null ? null : parseTime(entry.retiredAt, `retiredAt of ${entry.kid}`),
			jwk,
		};
	});
}

const keysByEnv = new WeakMap<object, ScheduledKey[]>();

export function scheduledKeys(env: Env): ScheduledKey[] {
	let keys = keysByEnv.get(env);
	if (!keys) {
		keys = parseKeys(env);
		keysByEnv.set(env, keys);
	}
	return keys;
}

export function signingKeyAt(keys: readonly ScheduledKey[], now: number): ScheduledKey {
	let best: ScheduledKey | undefined;
	for (const key of keys) {
		if (key.activeFrom > now) continue;
		if (key.retiredAt !== null && key.retiredAt <= now) continue;
		if (!best || key.activeFrom > best.activeFrom) best = key;
	}
	if (!best) throw new SigningConfigError("no signing key is active now");
	return best;
}

export function publishedKeysAt(
	keys: readonly ScheduledKey[],
	now: number,
	maxTtlMs: number,
): ScheduledKey[] {
	return keys.filter((k) => k.retiredAt === null || now < k.retiredAt + maxTtlMs);
}

export interface PublicJwk {
	kty: "RSA";
	n: string;
	e: string;
	kid: string;
	alg: "PS384";
	use: "sig";
}

export function publicJwk(key: ScheduledKey): PublicJwk {
	return {
		kty: "RSA",
		n: key.jwk.n as string,
		e: key.jwk.e as string,
		kid: key.kid,
		alg: "PS384",
		use: "sig",
	};
}

export function jwksAt(env: Env, maxTtlMs: number, now = clock.now()): { keys: PublicJwk[] } {
	return { keys: publishedKeysAt(scheduledKeys(env), now, maxTtlMs).map(publicJwk) };
}

// Importing an RSA key costs far more than a signature: once per isolate per kid.
const imported = new Map<string, Promise<CryptoKey>>();

export function importSigningKey(key: ScheduledKey): Promise<CryptoKey> {
	const cacheKey = `${key.kid}:${key.jwk.n?.slice(0, 32)}`;
	let pending = imported.get(cacheKey);
	if (!pending) {
		const { kty, n, e, d, p, q, dp, dq, qi } = key.jwk;
		pending = crypto.subtle.importKey(
			"jwk",
			{ kty, n, e, d, p, q, dp, dq, qi, alg: "PS384", ext: false },
			{ name: "RSA-PSS", hash: "SHA-384" },
			false,
			["sign"],
		);
		pending.catch(() => imported.delete(cacheKey));
		imported.set(cacheKey, pending);
	}
	return pending;
}

/** SubjectPublicKeyInfo PEM of a published key, for verifiers that take PEM (e.g. AWS's Python sample). */
export async function publicPem(key: ScheduledKey): Promise<string> {
	const { kty, n, e } = key.jwk;
	const imported = await crypto.subtle.importKey(
		"jwk",
		{ kty, n, e, alg: "PS384", ext: true },
		{ name: "RSA-PSS", hash: "SHA-384" },
		true,
		["verify"],
	);
	const der = new Uint8Array((await crypto.subtle.exportKey("spki", imported)) as ArrayBuffer);
	let binary = "";
	for (const b of der) binary += String.fromCharCode(b);
	const lines = btoa(binary).match(/.{1,64}/g) ?? [];
	return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----\n`;
}
