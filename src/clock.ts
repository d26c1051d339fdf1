/**
 * The one clock. Every time-dependent decision — borrow expiry, SigV4 skew, the
 * signing-key schedule, rate-limit windows — reads `clock.now()`, so tests move
 * time forward instead of sleeping. The offset is module state: the Worker, its
 * Durable Objects and the tests share one isolate under the test runner.
 * Nothing in production code calls `setOffsetForTests`.
 */
let offsetMs = 0;

export const clock = {
	now(): number {
		return Date.now() + offsetMs;
	},
};

export function setClockOffsetForTests(ms: number): void {
	offsetMs = ms;
}

export function advanceClockForTests(ms: number): void {
	offsetMs += ms;
}

/** Whole seconds: `Expiration` and the token's `exp` then name the same instant. */
export function floorToSecond(ms: number): number {
	return Math.floor(ms / 1000) * 1000;
}

/** ISO-8601 UTC with `Z` and no fraction, e.g. `2026-11-26T08:00:00Z`. */
export function isoSeconds(ms: number): string {
	return new Date(floorToSecond(ms)).toISOString().replace(".000Z", "Z");
}
