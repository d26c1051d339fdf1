/**
 * Offline verification of edge-license-manager borrow tokens (the `SignedToken`
 * of CheckoutBorrowLicense). Runtime-neutral: only jose and Web APIs, so the same
 * code runs in Node ≥ 20, browsers and Workers. See README.md next to this file.
 */
export type { BorrowTokenClaims, BorrowTokenEntitlement } from "./claims.js";
export {
	BORROW_TOKEN_ERROR_CODES,
	BorrowTokenConfigError,
	BorrowTokenError,
	type BorrowTokenErrorCode,
	isBorrowTokenError,
} from "./errors.js";
export { type FetchJwksOptions, fetchJwks } from "./fetch-jwks.js";
export {
	type GeneratedSigningKey,
	type GenerateSigningKeyOptions,
	generateSigningKey,
} from "./keygen.js";
export { inspectJwks, type JwkStatus, TOKEN_ALG } from "./keys.js";
export {
	DEFAULT_CLOCK_TOLERANCE_SEC,
	type ExpectedEntitlement,
	type VerifyBorrowTokenOptions,
} from "./options.js";
export {
	fetchRevocationList,
	REVOCATION_LIST_TYP,
	type RevocationList,
	type RevokedBorrow,
	type VerifyRevocationListOptions,
	verifyRevocationList,
} from "./revocations.js";
export { verifyBorrowToken } from "./verify.js";
