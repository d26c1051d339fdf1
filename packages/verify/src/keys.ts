import { base64url, type CryptoKey, importJWK, type JSONWebKeySet, type JWK } from "jose";
import { parseIsoUtc } from "./claims.js";
import { BorrowTokenConfigError } from "./errors.js";
import { show } from "./show.js";

/** The only algorithm the service signs with; everything else is refused. */
export const TOKEN_ALG = "PS384";
const MIN_RSA_BITS = 2048;
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

export function assertJwks(value: unknown): asserts value is JSONWebKeySet {
	if (
		typeof value !== "object" ||
		value === null ||
		!Array.isArray((value as { keys?: unknown }).keys)
	) {
		throw new BorrowTokenConfigError('keys must be a JWKS object: { "keys": [ ...JWKs ] }');
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Why a JWKS entry is not a PS384 verification key, or null if it is one. Entries
 * that declare another algorithm or purpose are skipped, not errors: a JWKS may
 * legitimately publish keys for other uses.
 */
function notForPs384(jwk: Record<string, unknown>): string | null {
	if (jwk.kty !== "RSA") return `kty is ${show(jwk.kty ?? null)}, not "RSA"`;
	if (jwk.alg !== undefined && jwk.alg !== TOKEN_ALG)
		return `alg is ${show(jwk.alg)}, not "${TOKEN_ALG}"`;
	if (jwk.use !== undefined && jwk.use !== "sig") return `use is ${show(jwk.use)}, not "sig"`;
	if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes("verify"))
		return 'key_ops does not include "verify"';
	return null;
}

/** Modulus size in bits, or a reason the public members are unusable. */
function modulusBits(jwk: Record<string, unknown>): number | string {
	if (typeof jwk.n !== "string" || typeof jwk.e !== "string") return 'missing "n" or "e"';
	let bytes: Uint8Array;
	try {
		bytes = base64url.decode(jwk.n);
	} catch {
		return '"n" is not base64url';
	}
	let i = 0;
	while (i < bytes.length && bytes[i] === 0) i++;
	const top = bytes[i];
	if (top === undefined) return '"n" is zero';
	return (bytes.length - i - 1) * 8 + (32 - Math.clz32(top));
}

/**
 * SPEC §5: the instants between which the service may sign with a key, from the
 * JWK's `activeFrom` / `retiredAt` members. Both absent in JWKS snapshots taken
 * before the service published them: such a key has no window to check.
 */
export interface KeyWindow {
	activeFromMs: number | undefined;
	retiredAtMs: number | undefined;
}

/** The JWK's window, or why its window members are unusable. */
function keyWindow(jwk: Record<string, unknown>): KeyWindow | string {
	const instant = (name: "activeFrom" | "retiredAt"): number | undefined | string => {
		if (jwk[name] === undefined) return undefined;
		return parseIsoUtc(jwk[name]) ?? `"${name}" is not an ISO-8601 UTC timestamp`;
	};
	const activeFromMs = instant("activeFrom");
	if (typeof activeFromMs === "string") return activeFromMs;
	const retiredAtMs = instant("retiredAt");
	if (typeof retiredAtMs === "string") return retiredAtMs;
	if (activeFromMs !== undefined && retiredAtMs !== undefined && retiredAtMs <= activeFromMs) {
		return '"retiredAt" is not after "activeFrom"';
	}
	return { activeFromMs, retiredAtMs };
}

export interface JwkStatus {
	kid: string | undefined;
	/** True when verifyBorrowToken can use this entry for tokens with its kid. */
	usable: boolean;
	/** Why not usable. */
	reason?: string;
	bits?: number;
	/**
	 * The entry carries private-key members. The verifier ignores them, but a JWKS
	 * shipped inside an app must never contain them: anyone could mint tokens.
	 */
	hasPrivateMembers: boolean;
}

/** Per-entry diagnosis of a JWKS, for tooling (`edge-license-verify keys show`). */
export function inspectJwks(jwks: JSONWebKeySet): JwkStatus[] {
	assertJwks(jwks);
	return jwks.keys.map((entry: unknown) => {
		if (!isObject(entry))
			return { kid: undefined, usable: false, reason: "not an object", hasPrivateMembers: false };
		const kid = typeof entry.kid === "string" ? entry.kid : undefined;
		const hasPrivateMembers = PRIVATE_MEMBERS.some((m) => m in entry);
		const skip = kid === undefined ? "no kid" : notForPs384(entry);
		if (skip) return { kid, usable: false, reason: skip, hasPrivateMembers };
		const bits = modulusBits(entry);
		if (typeof bits === "string") return { kid, usable: false, reason: bits, hasPrivateMembers };
		if (bits < MIN_RSA_BITS) {
			return {
				kid,
				usable: false,
				reason: `${bits}-bit modulus is below ${MIN_RSA_BITS}`,
				bits,
				hasPrivateMembers,
			};
		}
		const window = keyWindow(entry);
		if (typeof window === "string") {
			return { kid, usable: false, reason: window, bits, hasPrivateMembers };
		}
		return { kid, usable: true, bits, hasPrivateMembers };
	});
}

/** A verification key with the window the JWKS gives it. */
export interface WindowedKey {
	key: CryptoKey;
	window: KeyWindow;
}

async function importPublic(jwk: Record<string, unknown>, kid: string): Promise<WindowedKey> {
	const unusable = (why: string) =>
		new BorrowTokenConfigError(`JWKS key ${show(kid)} is unusable: ${why}`);
	const bits = modulusBits(jwk);
	if (typeof bits === "string") throw unusable(bits);
	if (bits < MIN_RSA_BITS) throw unusable(`${bits}-bit modulus is below ${MIN_RSA_BITS}`);
	const window = keyWindow(jwk);
	if (typeof window === "string") throw unusable(window);
	// Only the public members are imported: if a JWKS wrongly carries "d", the key
	// must still become a verify-only key, and ext/key_ops quirks cannot interfere.
	const publicOnly: JWK = { kty: "RSA", n: jwk.n as string, e: jwk.e as string };
	try {
		const key = await importJWK(publicOnly, TOKEN_ALG);
		if (key instanceof Uint8Array) throw new TypeError("imported as a secret");
		return { key, window };
	} catch (cause) {
		throw new BorrowTokenConfigError(`JWKS key ${show(kid)} is unusable: ${String(cause)}`, {
			cause,
		});
	}
}

/**
 * How many kids' imported keys are kept per JWKS object. A JWKS holds a handful of
 * keys (the current one, the next, those retired less than a max TTL ago), so this is
 * never reached in normal use; it bounds memory when a JWKS is huge. Kids the JWKS
 * does not hold are never cached, so tokens with made-up kids cost a scan of the
 * JWKS, not memory, and cannot evict a real key.
 */
export const KEY_CACHE_LIMIT = 32;

/**
 * Imported keys per JWKS object, least recently used first. Importing costs a
 * WebCrypto call; apps verify on every launch or feature check against the same
 * cached JWKS. Keyed by object identity, so a refreshed JWKS (a new object) is
 * re-imported and the old one is collectable. Callers must not mutate a JWKS object
 * after first use.
 */
const imported = new WeakMap<JSONWebKeySet, Map<string, Promise<WindowedKey[]>>>();

/**
 * The PS384 public keys in `jwks` with this kid — normally one; several only during
 * a botched rotation, and then any of them may verify. Empty means UNKNOWN_KID.
 */
export function keysForKid(jwks: JSONWebKeySet, kid: string): Promise<WindowedKey[]> {
	let perKid = imported.get(jwks);
	if (!perKid) {
		perKid = new Map();
		imported.set(jwks, perKid);
	}
	const hit = perKid.get(kid);
	if (hit) {
		// Most recently used goes last (a Map iterates in insertion order).
		perKid.delete(kid);
		perKid.set(kid, hit);
		return hit;
	}
	const candidates = jwks.keys.filter(
		(entry: unknown): entry is JWK & Record<string, unknown> =>
			isObject(entry) && entry.kid === kid && notForPs384(entry) === null,
	);
	if (candidates.length === 0) return Promise.resolve([]);
	const pending = Promise.all(candidates.map((jwk) => importPublic(jwk, kid)));
	perKid.set(kid, pending);
	if (perKid.size > KEY_CACHE_LIMIT) {
		const oldest = perKid.keys().next().value;
		if (oldest !== undefined) perKid.delete(oldest);
	}
	return pending;
}

/** The kids whose keys are cached for this JWKS, least recently used first (for tests). */
export function cachedKids(jwks: JSONWebKeySet): string[] {
	return [...(imported.get(jwks)?.keys() ?? [])];
}

/** At most this many of the JWKS's kids are listed in an UNKNOWN_KID message. */
const LISTED_KIDS = 10;

/** Explains an UNKNOWN_KID: which same-kid entries exist but were skipped, and why. */
export function describeKidMiss(jwks: JSONWebKeySet, kid: string): string {
	const skipped = jwks.keys
		.filter(
			(entry: unknown): entry is Record<string, unknown> => isObject(entry) && entry.kid === kid,
		)
		.map((entry) => notForPs384(entry));
	const known = jwks.keys
		.map((entry: unknown) => (isObject(entry) && typeof entry.kid === "string" ? entry.kid : null))
		.filter((k): k is string => k !== null);
	// The kid comes from the untrusted header and ends up in logs: show() bounds it.
	if (skipped.length > 0)
		return `JWKS has kid ${show(kid)} but not as a ${TOKEN_ALG} key (${skipped.join("; ")})`;
	const listed = known.slice(0, LISTED_KIDS).map(show).join(", ");
	const more = known.length > LISTED_KIDS ? `, and ${known.length - LISTED_KIDS} more` : "";
	return `no key with kid ${show(kid)} in the JWKS (known: ${known.length ? listed + more : "none"})`;
}
