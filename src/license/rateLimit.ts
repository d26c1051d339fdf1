import type { Config } from "../config";

/**
 * SPEC §4 step 7: the strict per-license limit. It lives in the license's object,
 * which sees every checkout of the license, so it is exact (unlike the per-key
 * limiter, which is approximate and per location). Time comes from the caller.
 */
export class FixedWindowLimiter {
	private windowStart = Number.NEGATIVE_INFINITY;
	private count = 0;

	constructor(
		readonly limit: number,
		readonly windowMs: number,
	) {}

	/** Takes one slot: null if allowed, else the seconds until the window reopens. */
	take(now: number): number | null {
		if (now - this.windowStart >= this.windowMs) {
			this.windowStart = now;
			this.count = 0;
		}
		if (this.count >= this.limit) {
			return Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000));
		}
		this.count++;
		return null;
	}
}

/** The license's limiter, as configured (`licenseRateLimit` checkouts per `licenseRateWindowMs`). */
export function perLicenseLimiter(config: Config): FixedWindowLimiter {
	return new FixedWindowLimiter(config.licenseRateLimit, config.licenseRateWindowMs);
}
