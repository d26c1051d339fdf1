import { fail, type Result } from "../result";

/**
 * ClientToken records (SPEC §4 step 4): only successes are remembered, with the exact
 * response bytes, keyed by the calling account and its ClientToken.
 */

/** A ClientToken's record outlives what it answered for by a day, then the alarm purges it. */
const KEPT_AFTER_MS = 86_400_000;

/** When a record is purged: a day after its borrow's final expiration (or after a version was made). */
export function clientTokenPurgeAt(endsAt: number): number {
	return endsAt + KEPT_AFTER_MS;
}

/** What a stored record answers: its success byte for byte, or a refusal if the request differs. */
export function replayOf(
	stored: { requestHash: string; response: string },
	requestHash: string,
): Result<string> {
	if (stored.requestHash === requestHash) return { ok: true, value: stored.response };
	return fail(
		"ValidationException",
		"ClientToken was already used with a different request; use a new ClientToken for a new request.",
	);
}

/** CreateLicenseVersion's ClientTokens are kept apart from the same account's checkout ones. */
export function versionClientToken(clientToken: string): string {
	return `version:${clientToken}`;
}
