import { fail, type Result } from "../result";
import type { CheckoutAnswer, UnsignedCheckout } from "./contract";

/**
 * ClientToken records (SPEC §4 step 4): only successes are remembered, with the exact
 * response bytes, keyed by the calling account and its ClientToken. A checkout's
 * record is written at the decision with the claims to sign, and its response is
 * stored back once signed (./object.ts).
 */

/** A ClientToken's record outlives what it answered for by a day, then the alarm purges it. */
const KEPT_AFTER_MS = 86_400_000;

/** When a record is purged: a day after its borrow's final expiration (or after a version was made). */
export function clientTokenPurgeAt(endsAt: number): number {
	return endsAt + KEPT_AFTER_MS;
}

const DIFFERENT_REQUEST =
	"ClientToken was already used with a different request; use a new ClientToken for a new request.";

/** What a stored record answers: its success byte for byte, or a refusal if the request differs. */
export function replayOf(
	stored: { requestHash: string; response: string },
	requestHash: string,
): Result<string> {
	if (stored.requestHash === requestHash) return { ok: true, value: stored.response };
	return fail("ValidationException", DIFFERENT_REQUEST);
}

/**
 * What a checkout's record answers: its stored response byte for byte; or, if the
 * Worker that took the decision never stored its signed response back (it failed or
 * died), the same claims again, for this request to sign and store back.
 */
export function checkoutReplayOf(
	stored: { requestHash: string; response: string; unsigned: string | null },
	requestHash: string,
): Result<CheckoutAnswer> {
	if (stored.requestHash !== requestHash) return fail("ValidationException", DIFFERENT_REQUEST);
	if (stored.response !== "" || stored.unsigned === null)
		return { ok: true, value: { response: stored.response } };
	return { ok: true, value: { unsigned: JSON.parse(stored.unsigned) as UnsignedCheckout } };
}

/** CreateLicenseVersion's ClientTokens are kept apart from the same account's checkout ones. */
export function versionClientToken(clientToken: string): string {
	return `version:${clientToken}`;
}
