import type { JWK } from "jose";
import { TOKEN_ALG } from "./keys.js";

/** Members of the private JWK the service stores, in a stable order. */
const PRIVATE_ORDER = [
	"kty",
	"kid",
	"alg",
	"use",
	"n",
	"e",
	"d",
	"p",
	"q",
	"dp",
	"dq",
	"qi",
] as const;
const PUBLIC_ORDER = ["kty", "kid", "alg", "use", "n", "e"] as const;
const ALLOWED_BITS = [2048, 3072, 4096] as const;

/** Kids appear in URLs (GET /keys/<kid>.pem) and in JSON config; keep them boring. */
const KID = /^[A-Za-z0-9._-]{1,64}$/;

export interface GeneratedSigningKey {
	kid: string;
	/** The secret: goes into the SIGNING_PRIVATE_KEYS secret object under `kid`. */
	privateJwk: JWK;
	/** What the JWKS endpoint will publish for this kid. */
	publicJwk: JWK;
	/** The entry to append to the SIGNING_KEYS var. */
	signingKeysEntry: { kid: string; activeFrom: string };
}

export interface GenerateSigningKeyOptions {
	kid?: string;
	/** RSA modulus size; 3072 by default (the service's default). */
	bits?: 2048 | 3072 | 4096;
	/** When the service should start signing with it; defaults to now. */
	activeFrom?: Date;
}

function pick(source: Record<string, unknown>, order: readonly string[]): JWK {
	const out: Record<string, unknown> = {};
	for (const k of order) if (source[k] !== undefined) out[k] = source[k];
	return out as JWK;
}

function defaultKid(now: Date): string {
	const day = now.toISOString().slice(0, 10).replaceAll("-", "");
	const rand = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) =>
		b.toString(16).padStart(2, "0"),
	).join("");
	return `elm-${day}-${rand}`;
}

/**
 * Generates a PS384 signing key with WebCrypto (so it runs in Node, browsers and
 * Workers alike). The private JWK drops WebCrypto's ext/key_ops so the service
 * can import it with whatever usages it asks for.
 */
export async function generateSigningKey(
	options: GenerateSigningKeyOptions = {},
): Promise<GeneratedSigningKey> {
	const bits = options.bits ?? 3072;
	if (!(ALLOWED_BITS as readonly number[]).includes(bits)) {
		throw new TypeError(`bits must be one of ${ALLOWED_BITS.join(", ")}`);
	}
	const activeFrom = options.activeFrom ?? new Date();
	if (Number.isNaN(activeFrom.getTime())) throw new TypeError("activeFrom must be a valid Date");
	const kid = options.kid ?? defaultKid(activeFrom);
	if (!KID.test(kid)) throw new TypeError("kid must be 1-64 characters of A-Z a-z 0-9 . _ -");

	const pair = (await crypto.subtle.generateKey(
		{
			name: "RSA-PSS",
			modulusLength: bits,
			publicExponent: new Uint8Array([1, 0, 1]),
			hash: "SHA-384",
		},
		true,
		["sign", "verify"],
	)) as CryptoKeyPair;
	const exported = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as unknown as Record<
		string,
		unknown
	>;
	const full = { ...exported, kid, alg: TOKEN_ALG, use: "sig" };
	return {
		kid,
		privateJwk: pick(full, PRIVATE_ORDER),
		publicJwk: pick(full, PUBLIC_ORDER),
		signingKeysEntry: { kid, activeFrom: activeFrom.toISOString().replace(/\.\d{3}Z$/, "Z") },
	};
}
