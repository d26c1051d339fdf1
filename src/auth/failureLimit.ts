import { clock } from "../clock";
import type { Env } from "../env";
import { logEvent } from "../log";
import { Lru } from "./lru";

/**
 * Failed authentications per client address (SPEC §11). Requests that fail
 * authentication are counted with the AUTH_FAILURE_LIMITER Rate Limiting binding
 * (its limit and 60 s period are in wrangler.toml); once an address is over its
 * budget, this isolate remembers it as blocked and authenticate.ts refuses its
 * requests before any D1 lookup — except for keys it already holds in memory.
 *
 * Only failures are counted: the binding's `limit()` counts every call, so calling
 * it for requests that authenticate would throttle a busy license server behind
 * one address. And since `limit()` both counts and answers, "blocked until" is
 * kept here, checked first, so a blocked address costs the binding nothing either.
 */

/** How long an address over its budget stays blocked in this isolate: the binding's period. */
export const AUTH_FAILURE_BLOCK_MS = 60_000;
/**
 * Blocked addresses remembered per isolate. One evicted early costs one more
 * failed request (and lookup) before the binding blocks it again.
 */
const BLOCKED_ADDRESSES_MAX = 10_000;

const blockedUntil = new Lru<string, number>(BLOCKED_ADDRESSES_MAX);

/**
 * The bucket a request's failures count in: its `cf-connecting-ip`, which
 * Cloudflare's edge sets on every request from the internet (a client cannot set
 * or remove it). An IPv6 address counts by its /64, the block one host or site is
 * given, so an attacker cannot get a fresh budget per address. Null without the
 * header: local development and tests calling the Worker directly, which are not
 * limited by address (a shared bucket there would let any one bad local client
 * lock every other one out).
 */
export function failureBucketOf(headers: Headers): string | null {
	const address = headers.get("cf-connecting-ip")?.trim().toLowerCase();
	if (!address) return null;
	return address.includes(":") ? ipv6Prefix64(address) : address;
}

/** `2001:db8:a:b::1` → `2001:db8:a:b::/64`; `::ffff:192.0.2.1` → `192.0.2.1`. */
function ipv6Prefix64(address: string): string {
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
	if (mapped?.[1]) return mapped[1];
	const [head = "", tail] = address.split("::", 2);
	const groups = head === "" ? [] : head.split(":");
	if (tail !== undefined) {
		// "::" stands for as many zero groups as make eight (a dotted IPv4 tail is two).
		const tailGroups = tail === "" ? [] : tail.split(":");
		const tailLength = tailGroups.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
		const zeros = Math.max(8 - groups.length - tailLength, 0);
		groups.push(...Array<string>(zeros).fill("0"), ...tailGroups);
	}
	const prefix = groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, ""));
	return `${prefix.join(":")}::/64`;
}

/** Milliseconds the bucket is still blocked for in this isolate; 0 if it is not. */
export function blockedForMs(bucket: string): number {
	const until = blockedUntil.get(bucket);
	if (until === undefined) return 0;
	const left = until - clock.now();
	if (left <= 0) blockedUntil.delete(bucket);
	return Math.max(left, 0);
}

/**
 * Counts one failed authentication; blocks the bucket once the binding says it
 * is over its budget. A failing binding is logged and ignored: the request has
 * already failed, and the limit protects D1 rather than decides who is who.
 * Without the binding (a deployment that removed it), nothing is counted.
 */
export async function countFailure(env: Env, bucket: string): Promise<void> {
	const limiter = env.AUTH_FAILURE_LIMITER;
	if (!limiter) return;
	let outcome: RateLimitOutcome;
	try {
		outcome = await limiter.limit({ key: bucket });
	} catch {
		logEvent("auth_failure_limiter_failed", { counted: false }, "error");
		return;
	}
	if (!outcome.success) blockedUntil.set(bucket, clock.now() + AUTH_FAILURE_BLOCK_MS);
}
