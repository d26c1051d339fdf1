import type { BorrowTokenClaims } from "../../packages/verify/src/claims";
import { base64url } from "../encoding";
import type { Env } from "../env";
import { importSigningKey, type ScheduledKey, scheduledKeys, signingKeyAt } from "./keys";

/**
 * The claims AWS's sample verifier reads, plus iss/sub/exp/jti for standard JWT
 * libraries: one definition, shared with the offline verifier. `nodeId` may be
 * undefined here (JSON drops it).
 */
export type BorrowClaims = Omit<BorrowTokenClaims, "nodeId"> & { nodeId?: string | undefined };

const encoder = new TextEncoder();

const headerCache = new Map<string, string>();

function encodedHeader(kid: string): string {
	let header = headerCache.get(kid);
	if (!header) {
		header = base64url(encoder.encode(JSON.stringify({ alg: "PS384", typ: "JWT", kid })));
		headerCache.set(kid, header);
	}
	return header;
}

/** The key that signs at `now`, imported (once per isolate): its kid and its CryptoKey. */
export interface TokenSigner {
	kid: string;
	key: CryptoKey;
}

/** One signer per scheduled key (those are parsed once per env): a checkout asks twice. */
const signers = new WeakMap<ScheduledKey, Promise<TokenSigner>>();

/**
 * The signer active at `now`. Fails with SigningConfigError if the keys cannot be
 * loaded or imported: the Worker asks before a checkout is decided, so a key that
 * cannot sign fails the request before anything is reserved.
 */
export function tokenSignerAt(env: Env, now: number): Promise<TokenSigner> {
	const key = signingKeyAt(scheduledKeys(env), now);
	let signer = signers.get(key);
	if (!signer) {
		signer = importSigningKey(key).then((cryptoKey) => ({ kid: key.kid, key: cryptoKey }));
		signer.catch(() => signers.delete(key));
		signers.set(key, signer);
	}
	return signer;
}

/**
 * Compact JWS, RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt (RFC 7518
 * PS384), over claims already serialised (the license object writes them once).
 */
export async function signEncodedClaims(signer: TokenSigner, claimsJson: string): Promise<string> {
	const signingInput = `${encodedHeader(signer.kid)}.${base64url(encoder.encode(claimsJson))}`;
	const signature = await crypto.subtle.sign(
		{ name: "RSA-PSS", saltLength: 48 },
		signer.key,
		encoder.encode(signingInput),
	);
	return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

/** A token of `claims`, signed with the key active at `now`. */
export async function signBorrowToken(
	env: Env,
	claims: BorrowClaims,
	now: number,
): Promise<string> {
	return signEncodedClaims(await tokenSignerAt(env, now), JSON.stringify(claims));
}
