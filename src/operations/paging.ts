import { base64url, fromBase64url } from "../encoding";
import { AwsError } from "../protocol/errors";
import type { Validator } from "../protocol/validation";

export function readMaxResults(v: Validator, value: unknown): number {
	return v.integer(value, "maxResults", { min: 1, max: 100 }) ?? 100;
}

const encoder = new TextEncoder();
// Page tokens need integrity, not secrecy: every query they feed is already scoped
// to the caller's account, so a forged token can reach nothing else. The MAC binds
// the token to the caller and the query it came from (the scope) and rejects edits.
let macKey: Promise<CryptoKey> | undefined;
function key(): Promise<CryptoKey> {
	macKey ??= crypto.subtle.importKey(
		"raw",
		encoder.encode("edge-license-manager/page-token/v1"),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign", "verify"],
	);
	return macKey;
}

async function mac(position: string, scope: string): Promise<Uint8Array> {
	return new Uint8Array(
		await crypto.subtle.sign("HMAC", await key(), encoder.encode(`${scope}\n${position}`)),
	);
}

export async function encodePageToken(position: string, scope: string): Promise<string> {
	return `${base64url(encoder.encode(position))}.${base64url(await mac(position, scope))}`;
}

/** The position a NextToken stands for, or ValidationException if it was not issued for this query. */
export async function decodePageToken(token: string, scope: string): Promise<string> {
	const invalid = new AwsError(
		"ValidationException",
		"The NextToken is not valid for this request.",
	);
	const [body, sig] = token.split(".");
	if (!body || !sig || token.split(".").length !== 2) throw invalid;
	try {
		const position = new TextDecoder().decode(fromBase64url(body));
		const ok = await crypto.subtle.verify(
			"HMAC",
			await key(),
			fromBase64url(sig),
			encoder.encode(`${scope}\n${position}`),
		);
		if (!ok) throw invalid;
		return position;
	} catch {
		throw invalid;
	}
}
