import type { BorrowTokenClaims } from "../../packages/verify/src/claims";
import { base64url } from "../encoding";
import type { Env } from "../env";
import { importSigningKey, scheduledKeys, signingKeyAt } from "./keys";

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

/** Compact JWS, RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt (RFC 7518 PS384). */
export async function signBorrowToken(
	env: Env,
	claims: BorrowClaims,
	now: number,
): Promise<string> {
	const key = signingKeyAt(scheduledKeys(env), now);
	const cryptoKey = await importSigningKey(key);
	const signingInput = `${encodedHeader(key.kid)}.${base64url(encoder.encode(JSON.stringify(claims)))}`;
	const signature = await crypto.subtle.sign(
		{ name: "RSA-PSS", saltLength: 48 },
		cryptoKey,
		encoder.encode(signingInput),
	);
	return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}
