import { base64url } from "../encoding";
import type { Env } from "../env";
import { importSigningKey, scheduledKeys, signingKeyAt } from "./keys";

/**
 * Compact JWS with the deployment's current key for documents other than borrow
 * tokens (today the revocation list, SPEC §9): RSASSA-PSS with SHA-384 and a 48-byte
 * salt (RFC 7518 PS384), header `{alg, typ, kid}`.
 */

const encoder = new TextEncoder();

/**
 * Signatures made by this isolate. A revocation list is re-signed only when it
 * changed or aged; the tests read this to prove that many fetches cost one signature.
 */
let signatures = 0;

export function signaturesMadeForTests(): number {
	return signatures;
}

export async function signJws(env: Env, typ: string, claims: object, now: number): Promise<string> {
	const key = signingKeyAt(scheduledKeys(env), now);
	const cryptoKey = await importSigningKey(key);
	const header = base64url(encoder.encode(JSON.stringify({ alg: "PS384", typ, kid: key.kid })));
	const signingInput = `${header}.${base64url(encoder.encode(JSON.stringify(claims)))}`;
	signatures += 1;
	const signature = await crypto.subtle.sign(
		{ name: "RSA-PSS", saltLength: 48 },
		cryptoKey,
		encoder.encode(signingInput),
	);
	return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}
