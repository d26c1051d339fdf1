// @ts-check
/**
 * A Rate Limiting binding counted in the calling isolate, with the semantics of
 * Miniflare's local simulation (miniflare's ratelimit-object.worker): windows of
 * `period` seconds aligned to the clock; per key, a call is allowed while fewer than
 * `limit` calls were allowed in the current window. Bench only.
 * @implements {RateLimit}
 */
export class InProcessRateLimit {
	/**
	 * @param {number} limit
	 * @param {number} period seconds
	 */
	constructor(limit, period) {
		this.limitVal = limit;
		this.period = period;
		/** @type {Map<string, { epoch: number, count: number }>} */
		this.buckets = new Map();
	}

	/**
	 * @param {RateLimitOptions} options
	 * @returns {Promise<RateLimitOutcome>}
	 */
	async limit(options) {
		const key = options.key;
		const epoch = Math.floor(Date.now() / (this.period * 1000));
		let bucket = this.buckets.get(key);
		if (!bucket || bucket.epoch !== epoch) {
			// As Miniflare: a new window drops every key's old count.
			if (bucket) this.buckets.clear();
			bucket = { epoch, count: 0 };
			this.buckets.set(key, bucket);
		}
		if (bucket.count >= this.limitVal) return { success: false };
		bucket.count++;
		return { success: true };
	}
}
