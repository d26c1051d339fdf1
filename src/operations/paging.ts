import { pageTokenKey } from "../derivedKeys";
import { base64url, fromBase64url } from "../encoding";
import type { Env } from "../env";
import { AwsError } from "../protocol/errors";
import type { Validator } from "../protocol/validation";

export function readMaxResults(v: Validator, value: unknown): number {
	return v.integer(value, "maxResults", { min: 1, max: 100 }) ?? 100;
}

const encoder = new TextEncoder();
// Page tokens need integrity, not secrecy: every query they feed is already scoped
// to the caller's account. The MAC binds the token to the caller and the query it
// came from (the scope) and rejects edits; its key is derived from a deployment
// secret (src/derivedKeys.ts), so nobody outside can mint one.
type KeyEnv = Pick<Env, "PRINCIPAL_SECRET_KEY">;

function message(position: string, scope: string): Uint8Array {
	return encoder.encode(`${scope}\n${position}`);
}

export async function encodePageToken(
	env: KeyEnv,
	position: string,
	scope: string,
): Promise<string> {
	const mac = await crypto.subtle.sign("HMAC", await pageTokenKey(env), message(position, scope));
	return `${base64url(encoder.encode(position))}.${base64url(new Uint8Array(mac))}`;
}

/** The position a NextToken stands for, or ValidationException if it was not issued for this query. */
export async function decodePageToken(env: KeyEnv, token: string, scope: string): Promise<string> {
	const invalid = new AwsError(
		"ValidationException",
		"The NextToken is not valid for this request.",
	);
	const key = await pageTokenKey(env); // outside the try: a broken secret is a 500, not a bad token
	const parts = token.split(".");
	const [body, sig] = parts;
	if (!body || !sig || parts.length !== 2) throw invalid;
	let position: string;
	let ok: boolean;
	try {
		position = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
			fromBase64url(body),
		);
		ok = await crypto.subtle.verify("HMAC", key, fromBase64url(sig), message(position, scope));
	} catch {
		throw invalid;
	}
	if (!ok) throw invalid;
	return position;
}
