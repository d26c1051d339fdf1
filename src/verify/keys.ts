import { base64url, type CryptoKey, importJWK, type JSONWebKeySet, type JWK } from "jose";
import { BorrowTokenConfigError } from "./errors.js";

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
	if (jwk.kty !== "RSA") return `kty is ${JSON.stringify(jwk.kty)}, not "RSA"`;
	if (jwk.alg !== undefined && jwk.alg !== TOKEN_ALG)
		return `alg is ${JSON.stringify(jwk.alg)}, not "${TOKEN_ALG}"`;
	if (jwk.use !== undefined && jwk.use !== "sig")
		return `use is ${JSON.stringify(jwk.use)}, not "sig"`;
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

/** Per-entry diagnosis of a JWKS, for tooling (`elm-verify keys show`). */
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
		return { kid, usable: true, bits, hasPrivateMembers };
	});
}

async function importPublic(jwk: Record<string, unknown>, kid: string): Promise<CryptoKey> {
	const bits = modulusBits(jwk);
	if (typeof bits === "string" || bits < MIN_RSA_BITS) {
		const why = typeof bits === "string" ? bits : `${bits}-bit modulus is below ${MIN_RSA_BITS}`;
		throw new BorrowTokenConfigError(`JWKS key "${kid}" is unusable: ${why}`);
	}
	// Only the public members are imported: if a JWKS wrongly carries "d", the key
	// must still become a verify-only key, and ext/key_ops quirks cannot interfere.
	const publicOnly: JWK = { kty: "RSA", n: jwk.n as string, e: jwk.e as string };
	try {
		const key = await importJWK(publicOnly, TOKEN_ALG);
		if (key instanceof Uint8Array) throw new TypeError("imported as a secret");
		return key;
	} catch (cause) {
		throw new BorrowTokenConfigError(`JWKS key "${kid}" is unusable: ${String(cause)}`, { cause });
	}
}

/**
 * Imported keys per JWKS object. Importing costs a WebCrypto call; apps verify on
 * every launch or feature check against the same cached JWKS. Keyed by object
 * identity, so a refreshed JWKS (a new object) is re-imported and the old one is
 * collectable. Callers must not mutate a JWKS object after first use.
 */
const imported = new WeakMap<JSONWebKeySet, Map<string, Promise<CryptoKey[]>>>();

/**
 * The PS384 public keys in `jwks` with this kid — normally one; several only during
 * a botched rotation, and then any of them may verify. Empty means UNKNOWN_KID.
 */
export function keysForKid(jwks: JSONWebKeySet, kid: string): Promise<CryptoKey[]> {
	let perKid = imported.get(jwks);
	if (!perKid) {
		perKid = new Map();
		imported.set(jwks, perKid);
	}
	const hit = perKid.get(kid);
	if (hit) return hit;
	const candidates = jwks.keys.filter(
		(entry: unknown): entry is JWK & Record<string, unknown> =>
			isObject(entry) && entry.kid === kid && notForPs384(entry) === null,
	);
	const pending = Promise.all(candidates.map((jwk) => importPublic(jwk, kid)));
	perKid.set(kid, pending);
	return pending;
}

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
	// The kid comes from the untrusted header and ends up in logs: bound it.
	const shown = JSON.stringify(kid.length > 100 ? `${kid.slice(0, 100)}…` : kid);
	if (skipped.length > 0)
		return `JWKS has kid ${shown} but not as a ${TOKEN_ALG} key (${skipped.join("; ")})`;
	return `no key with kid ${shown} in the JWKS (known: ${known.length ? known.join(", ") : "none"})`;
}
