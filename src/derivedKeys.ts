import { principalSecretBytes } from "./auth/secretBox";
import type { Env } from "./env";

/*
 * Keys derived from the deployment's PRINCIPAL_SECRET_KEY with HKDF-SHA-256, one per
 * purpose (the `info` label), so that what they key cannot be computed from outside:
 * license ids (an outsider who guesses a ClientToken cannot compute the ARN) and
 * NextTokens (cannot be forged). The secret is reused rather than a new one added:
 * every deployment already has it and refuses every request without it, so no new
 * secret can be missing or mis-set. HKDF with distinct labels keeps the derived keys
 * independent of each other and of the AES-GCM use of the raw secret
 * (src/auth/secretBox.ts). Rotating the secret changes them (docs/operations.md, Configuration).
 */

const LICENSE_ID_LABEL = "edge-license-manager/license-id/v1";
const PAGE_TOKEN_LABEL = "edge-license-manager/page-token/v1";
type Label = typeof LICENSE_ID_LABEL | typeof PAGE_TOKEN_LABEL;

// A fixed, public salt (RFC 5869 §3.1): the input is already 32 uniformly random bytes.
const SALT = new TextEncoder().encode("edge-license-manager/hkdf-salt/v1");

/** One isolate, one secret: each derived key is imported once and reused by every request. */
let cached:
	| { raw: string; ikm: Promise<CryptoKey>; keys: Map<Label, Promise<CryptoKey>> }
	| undefined;

function derivedKey(env: Pick<Env, "PRINCIPAL_SECRET_KEY">, label: Label): Promise<CryptoKey> {
	const raw = env.PRINCIPAL_SECRET_KEY;
	let entry = cached;
	if (!entry || entry.raw !== raw) {
		const bytes = principalSecretBytes(raw); // throws before anything is cached
		const ikm = crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]);
		entry = { raw: raw as string, ikm, keys: new Map() };
		cached = entry;
	}
	const { ikm: ikmKey, keys } = entry;
	let key = keys.get(label);
	if (!key) {
		key = ikmKey.then((ikm) =>
			crypto.subtle.deriveKey(
				{ name: "HKDF", hash: "SHA-256", salt: SALT, info: new TextEncoder().encode(label) },
				ikm,
				{ name: "HMAC", hash: "SHA-256", length: 256 },
				false,
				["sign", "verify"],
			),
		);
		keys.set(label, key);
	}
	return key;
}

/** HMAC-SHA-256 key that license ids are minted with. */
export function licenseIdKey(env: Pick<Env, "PRINCIPAL_SECRET_KEY">): Promise<CryptoKey> {
	return derivedKey(env, LICENSE_ID_LABEL);
}

/** HMAC-SHA-256 key that NextTokens are MAC'd with. */
export function pageTokenKey(env: Pick<Env, "PRINCIPAL_SECRET_KEY">): Promise<CryptoKey> {
	return derivedKey(env, PAGE_TOKEN_LABEL);
}
