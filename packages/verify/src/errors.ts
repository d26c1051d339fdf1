/**
 * Why a borrow token was refused. Apps branch on `code` (e.g. refresh the JWKS once
 * on UNKNOWN_KID while online, ask the user to re-borrow on EXPIRED), so the codes
 * are a closed union and their meaning is part of the public contract.
 */
export const BORROW_TOKEN_ERROR_CODES = [
	"MALFORMED",
	"ALGORITHM_NOT_ALLOWED",
	"UNKNOWN_KID",
	"BAD_SIGNATURE",
	"WRONG_ISSUER",
	"WRONG_LICENSE",
	"EXPIRED",
	"NOT_YET_VALID",
	"WRONG_NODE",
	"NODE_MISSING",
	"ENTITLEMENT_MISSING",
	// Added after the first release: last, so the earlier codes keep their positions.
	"KEY_NOT_ACTIVE",
	// The revocation list (SPEC §9): the token is listed; the list itself has expired.
	"REVOKED",
	"STALE_REVOCATION_LIST",
] as const;

export type BorrowTokenErrorCode = (typeof BORROW_TOKEN_ERROR_CODES)[number];

/** The token is not acceptable. Thrown only for properties of the token itself. */
export class BorrowTokenError extends Error {
	override readonly name = "BorrowTokenError";
	readonly code: BorrowTokenErrorCode;

	constructor(code: BorrowTokenErrorCode, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.code = code;
	}
}

/**
 * The caller's options or JWKS are unusable (missing licenseArn, a JWKS entry that is
 * not an RSA public key, …). A TypeError rather than a BorrowTokenError so that code
 * which treats every BorrowTokenError as "deny the license" does not silently turn a
 * deployment bug into "every token is invalid".
 */
export class BorrowTokenConfigError extends TypeError {
	override readonly name = "BorrowTokenConfigError";
}

const CODES = new Set<string>(BORROW_TOKEN_ERROR_CODES);

/**
 * `instanceof` breaks when an app ends up with two copies of this library (bundled
 * twice, or across realms); this checks the shape instead.
 */
export function isBorrowTokenError(value: unknown): value is BorrowTokenError {
	if (value instanceof BorrowTokenError) return true;
	if (typeof value !== "object" || value === null) return false;
	const { name, code } = value as { name?: unknown; code?: unknown };
	return name === "BorrowTokenError" && typeof code === "string" && CODES.has(code);
}
