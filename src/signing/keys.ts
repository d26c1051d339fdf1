import { clock } from "../clock";
import { fromBase64url } from "../encoding";
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

/**
 * The key configuration is unusable. Its message names the setting and a fixed
 * reason, never the setting's content: it is logged on every request that needs a
 * key, and a parser's own message (e.g. JSON.parse's SyntaxError) quotes the text
 * around the fault — for SIGNING_PRIVATE_KEYS, private-key material.
 */
export class SigningConfigError extends Error {
	override name = "SigningConfigError";
}

/** SPEC §5: RSA keys under this size are refused at load. */
export const MIN_RSA_BITS = 2048;

const PRIVATE = "SIGNING_PRIVATE_KEYS";
const SCHEDULE = "SIGNING_KEYS";

// Kids are public (they are in every token header), but in SIGNING_PRIVATE_KEYS they
// are member names of a secret: one that does not look like a kid is not repeated.
const PLAIN_KID = /^[A-Za-z0-9._:-]{1,64}$/;

function kidName(kid: string): string {
	return PLAIN_KID.test(kid) ? kid : "(a kid that is not 1-64 of A-Z a-z 0-9 . _ : -)";
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON.parse whose failure names the setting only: the SyntaxError would quote it. */
function parseSetting(name: string, text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		throw new SigningConfigError(`${name} is not valid JSON`);
	}
}

function parseTime(value: unknown, what: string): number {
	const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
	if (Number.isNaN(ms))
		throw new SigningConfigError(`${SCHEDULE}: ${what} is not an ISO-8601 date`);
	return ms;
}

/** Bit length of an RSA modulus given as base64url (a JWK's `n`), or null if it is not one. */
export function rsaModulusBits(n: string): number | null {
	let bytes: Uint8Array;
	try {
		bytes = fromBase64url(n);
	} catch {
		return null;
	}
	let i = 0;
	while (i < bytes.length && bytes[i] === 0) i++;
	const top = bytes[i];
	if (top === undefined) return null;
	return (bytes.length - i - 1) * 8 + (32 - Math.clz32(top));
}

/** The private JWK for `kid`, checked to be an RSA private key of at least MIN_RSA_BITS. */
function privateJwk(privates: Record<string, unknown>, kid: string): JsonWebKey {
	const jwk = Object.hasOwn(privates, kid) ? privates[kid] : undefined;
	const name = kidName(kid);
	if (jwk === undefined) throw new SigningConfigError(`${PRIVATE} has no key for kid ${name}`);
	if (
		!isRecord(jwk) ||
		jwk.kty !== "RSA" ||
		typeof jwk.n !== "string" ||
		typeof jwk.e !== "string" ||
		typeof jwk.d !== "string"
	) {
		throw new SigningConfigError(`${PRIVATE} kid ${name} is not a private RSA JWK`);
	}
	const bits = rsaModulusBits(jwk.n);
	if (bits === null)
		throw new SigningConfigError(`${PRIVATE} kid ${name} is not a private RSA JWK`);
	if (bits < MIN_RSA_BITS) {
		throw new SigningConfigError(
			`${PRIVATE} kid ${name} is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
		);
	}
	return jwk as unknown as JsonWebKey;
}

/** Without SIGNING_KEYS a single key is active since the epoch (a dev key); more than one would be ambiguous. */
function noScheduleKeys(privates: Record<string, unknown>): { kid: string; activeFrom: string }[] {
	const kids = Object.keys(privates);
	if (kids.length !== 1) {
		throw new SigningConfigError(
			`${SCHEDULE} must schedule the keys when ${PRIVATE} holds more than one`,
		);
	}
	return kids.map((kid) => ({ kid, activeFrom: "1970-01-01T00:00:00Z" }));
}

function parseKeys(env: Env): ScheduledKey[] {
	if (!env.SIGNING_PRIVATE_KEYS) throw new SigningConfigError(`${PRIVATE} is not set`);
	const privates = parseSetting(PRIVATE, env.SIGNING_PRIVATE_KEYS);
	if (!isRecord(privates)) {
		throw new SigningConfigError(`${PRIVATE} is not a JSON object of {kid: private JWK}`);
	}
	const schedule = env.SIGNING_KEYS
		? parseSetting(SCHEDULE, env.SIGNING_KEYS)
		: noScheduleKeys(privates);
	if (!Array.isArray(schedule)) {
		throw new SigningConfigError(
			`${SCHEDULE} is not a JSON array of {kid, activeFrom, retiredAt?}`,
		);
	}
	return schedule.map((entry: unknown) => {
		if (!isRecord(entry) || typeof entry.kid !== "string" || !entry.kid)
			throw new SigningConfigError(`${SCHEDULE}: an entry has no kid`);
		const kid = entry.kid;
		const name = kidName(kid);
		const jwk = privateJwk(privates, kid);
		const activeFrom = parseTime(entry.activeFrom, `activeFrom of ${name}`);
		const retiredAt =
			entry.retiredAt == null ? null : parseTime(entry.retiredAt, `retiredAt of ${name}`);
		if (retiredAt !== null && retiredAt <= activeFrom) {
			throw new SigningConfigError(`${SCHEDULE}: retiredAt of ${name} is not after its activeFrom`);
		}
		return { kid, activeFrom, retiredAt, jwk };
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
	/**
	 * SPEC §5: the key's window, ISO-8601 UTC. Extra members that other JWT libraries
	 * ignore; the shipped verifier refuses a token whose `issuedAt` is outside
	 * [activeFrom, retiredAt), so a retired key cannot mint tokens that verify.
	 */
	activeFrom: string;
	/** Only once the schedule sets it. */
	retiredAt?: string;
}

/** ISO-8601 UTC with `Z`; milliseconds only when the schedule has them. */
function isoInstant(ms: number): string {
	return new Date(ms).toISOString().replace(".000Z", "Z");
}

export function publicJwk(key: ScheduledKey): PublicJwk {
	return {
		kty: "RSA",
		n: key.jwk.n as string,
		e: key.jwk.e as string,
		kid: key.kid,
		alg: "PS384",
		use: "sig",
		activeFrom: isoInstant(key.activeFrom),
		...(key.retiredAt === null ? {} : { retiredAt: isoInstant(key.retiredAt) }),
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
		pending = crypto.subtle
			.importKey(
				"jwk",
				{ kty, n, e, d, p, q, dp, dq, qi, alg: "PS384", ext: false },
				{ name: "RSA-PSS", hash: "SHA-384" },
				false,
				["sign"],
			)
			.catch(() => {
				// WebCrypto's reason is dropped with the rest of the import: name the kid, not the key.
				throw new SigningConfigError(
					`${PRIVATE} kid ${kidName(key.kid)} cannot be imported as an RSA-PSS signing key`,
				);
			});
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
