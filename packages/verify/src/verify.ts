import { compactVerify, decodeProtectedHeader, errors } from "jose";
import { checkBinding, checkEntitlements, checkKeyWindow, checkNode, checkTime } from "./checks.js";
import { type BorrowTokenClaims, parseClaims } from "./claims.js";
import { BorrowTokenError } from "./errors.js";
import { describeKidMiss, keysForKid, TOKEN_ALG, type WindowedKey } from "./keys.js";
import { normalizeOptions, type VerifyBorrowTokenOptions } from "./options.js";
import { checkNotRevoked } from "./revocations.js";
import { show } from "./show.js";

/**
 * Reads what is needed to pick a key, refusing anything that is not the one format
 * the service issues. Nothing here is trusted yet; in particular the jwk, jku, x5u
 * and x5c header parameters are never read — the key comes from the app's JWKS only.
 */
export function readHeader(token: unknown): { kid: string; typ: unknown } {
	if (typeof token !== "string") throw new BorrowTokenError("MALFORMED", "token must be a string");
	const parts = token.split(".").length;
	if (parts !== 3) {
		throw new BorrowTokenError(
			"MALFORMED",
			`not a compact JWS: expected 3 dot-separated parts, got ${parts}`,
		);
	}
	let header: Record<string, unknown>;
	try {
		header = decodeProtectedHeader(token) as Record<string, unknown>;
	} catch (cause) {
		throw new BorrowTokenError("MALFORMED", "protected header is not base64url JSON", { cause });
	}
	// Before the key lookup, so "none" and HS384-with-the-public-key are refused for
	// what they are, whatever kid they claim.
	if (header.alg !== TOKEN_ALG) {
		throw new BorrowTokenError(
			"ALGORITHM_NOT_ALLOWED",
			`alg ${show(header.alg ?? null)} is not allowed; only ${TOKEN_ALG}`,
		);
	}
	// The service never uses JWS extensions; b64=false would change what was signed.
	if (header.crit !== undefined || header.b64 !== undefined) {
		throw new BorrowTokenError(
			"MALFORMED",
			"JWS extensions (crit/b64) are not used by borrow tokens",
		);
	}
	const kid = header.kid;
	// The service always sets kid; without one there is no key to pick, and guessing
	// ("try every key") would make rotation mistakes pass silently.
	if (typeof kid !== "string" || kid === "")
		throw new BorrowTokenError("MALFORMED", "header has no kid");
	return { kid, typ: header.typ };
}

/** The payload, and the key (with its window) that verified it. */
export async function verifySignature(
	token: string,
	keys: WindowedKey[],
): Promise<{ payload: Uint8Array; signer: WindowedKey }> {
	for (const signer of keys) {
		try {
			// algorithms pins PS384 again inside jose: defence in depth for readHeader.
			const { payload } = await compactVerify(token, signer.key, { algorithms: [TOKEN_ALG] });
			return { payload, signer };
		} catch (cause) {
			if (cause instanceof errors.JWSSignatureVerificationFailed) continue;
			if (cause instanceof errors.JOSEAlgNotAllowed) {
				throw new BorrowTokenError("ALGORITHM_NOT_ALLOWED", `only ${TOKEN_ALG} is allowed`, {
					cause,
				});
			}
			if (cause instanceof errors.JWSInvalid || cause instanceof errors.JOSENotSupported) {
				throw new BorrowTokenError("MALFORMED", `invalid JWS: ${cause.message}`, { cause });
			}
			throw cause;
		}
	}
	throw new BorrowTokenError(
		"BAD_SIGNATURE",
		"signature does not verify with the JWKS key for this kid",
	);
}

/**
 * Verifies a CheckoutBorrowLicense `SignedToken` offline against a JWKS snapshot.
 * Resolves with the claims, or rejects with a BorrowTokenError (the token is not
 * acceptable; see `code`) or a BorrowTokenConfigError (the options/JWKS are wrong).
 *
 * Order: format → algorithm → kid → signature → claim shape → key window → issuer →
 * license → revocation (with a `revocationList`) → time → node → entitlements. The
 * first failure is reported.
 */
export async function verifyBorrowToken(
	token: string,
	options: VerifyBorrowTokenOptions,
): Promise<BorrowTokenClaims> {
	const opts = normalizeOptions(options);
	const { kid } = readHeader(token);
	const keys = await keysForKid(opts.keys, kid);
	if (keys.length === 0) {
		throw new BorrowTokenError(
			"UNKNOWN_KID",
			`${describeKidMiss(opts.keys, kid)}; refresh the JWKS if online`,
		);
	}
	const { payload, signer } = await verifySignature(token, keys);
	const parsed = parseClaims(payload);
	checkKeyWindow(parsed, signer.window, kid);
	checkBinding(parsed.claims, opts);
	if (opts.revocationList) await checkNotRevoked(parsed.claims, opts.revocationList);
	checkTime(parsed, opts);
	checkNode(parsed.claims, opts);
	checkEntitlements(parsed.claims, opts);
	return parsed.claims;
}
