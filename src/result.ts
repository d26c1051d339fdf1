/**
 * The outcome of a decision, the same on both sides of the Durable Object RPC. RPC
 * keeps only the `name` and `message` of a thrown error, so the license object
 * returns tagged results; the Worker turns a failure into the wire's error in one
 * place (src/protocol/errors.ts). Neither side imports the other's modules for it.
 */

/** Every error type the service can answer with (the AWS model's shape names). */
export type ErrorType =
	| "AccessDeniedException"
	| "AuthorizationException"
	| "ConflictException"
	| "EntitlementNotAllowedException"
	| "IncompleteSignatureException"
	| "InvalidSignatureException"
	| "MissingAuthenticationTokenException"
	| "NoEntitlementsAllowedException"
	| "RateLimitExceededException"
	| "RedirectException"
	| "ResourceLimitExceededException"
	| "ResourceNotFoundException"
	| "SerializationException"
	| "ServerInternalException"
	| "UnknownOperationException"
	| "UnrecognizedClientException"
	| "UnsupportedDigitalSignatureMethodException"
	| "ValidationException";

/** An error as it crosses the RPC boundary. */
export interface WireError {
	type: ErrorType;
	message: string;
	/** RedirectException only. */
	location?: string;
	/** RateLimitExceededException only: seconds. */
	retryAfter?: number;
}

export type Failure = { ok: false; error: WireError };
export type Result<T> = { ok: true; value: T } | Failure;

export function fail(type: ErrorType, message: string, extra?: Partial<WireError>): Failure {
	return { ok: false, error: { type, message, ...extra } };
}

/**
 * SPEC §11: a quota reached, worded once — ResourceLimitExceededException naming the
 * limit and its value. The limits themselves are configuration (src/config.ts `Limits`).
 */
export function limitExceeded(limit: string, value: number, advice: string): Failure {
	return fail(
		"ResourceLimitExceededException",
		`Limit exceeded: at most ${value} ${limit}. ${advice}`,
	);
}
