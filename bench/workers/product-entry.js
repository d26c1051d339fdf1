// @ts-check
// The product's Worker as the bench runs it: src/index.ts unchanged, its default
// export wrapped only to swap the per-key Rate Limiting bindings when the worker's
// var BENCH_IN_PROCESS_LIMITER is "1", and its license object given a D1 that
// stores nothing when BENCH_D1_WRITES is "off" (the soak's SOAK_D1_WRITES=off).
//
// Why: Miniflare simulates a Rate Limiting binding as a fetch into a Durable Object
// that writes SQLite on every call (~0.3-0.5 CPU ms, about a quarter of a checkout's
// overhead here); production's binding counts in process. The in-process binding
// below keeps Miniflare's semantics (a fixed window aligned to the clock, per key and
// period; refuse once `limit` calls were counted in the window) without the hop. The
// bench prints its headline both ways.
import product, { LicenseObject as ProductLicenseObject } from "../../src/index";
import { DiscardingD1 } from "./discardingD1.js";
import { InProcessRateLimit } from "./inProcessRateLimit.js";

/** @typedef {import("../../src/env").Env & { BENCH_IN_PROCESS_LIMITER?: string, BENCH_LIMIT?: string, BENCH_LIMIT_PERIOD?: string, BENCH_D1_WRITES?: string }} BenchEnv */

/**
 * The product's object class, unchanged unless BENCH_D1_WRITES is "off": then its env
 * (whose only use of DB is the outbox drain) has DB replaced by a stand-in that
 * accepts batches without storing them. The Worker's own env keeps the real D1, so
 * principals are still read from it.
 */
export class LicenseObject extends ProductLicenseObject {
	/**
	 * @param {DurableObjectState} ctx
	 * @param {BenchEnv} env
	 */
	constructor(ctx, env) {
		super(
			ctx,
			env.BENCH_D1_WRITES === "off"
				? { ...env, DB: /** @type {D1Database} */ (/** @type {unknown} */ (new DiscardingD1())) }
				: env,
		);
	}
}

/** One wrapped env per env: the product caches config and keys per env object. */
const wrapped = new WeakMap();

/** @param {BenchEnv} env */
function productEnv(env) {
	if (env.BENCH_IN_PROCESS_LIMITER !== "1") return env;
	let out = wrapped.get(env);
	if (!out) {
		const limit = Number(env.BENCH_LIMIT ?? 1e9);
		const period = Number(env.BENCH_LIMIT_PERIOD ?? 60);
		out = {
			...env,
			PRINCIPAL_LIMITER: new InProcessRateLimit(limit, period),
			PRINCIPAL_LIMITER_BULK: new InProcessRateLimit(limit, period),
		};
		wrapped.set(env, out);
	}
	return out;
}

export default {
	/**
	 * @param {Request} request
	 * @param {BenchEnv} env
	 * @param {ExecutionContext} ctx
	 */
	fetch(request, env, ctx) {
		return product.fetch(request, productEnv(env), ctx);
	},
	/**
	 * @param {ScheduledController} controller
	 * @param {BenchEnv} env
	 * @param {ExecutionContext} ctx
	 */
	scheduled(controller, env, ctx) {
		return product.scheduled(controller, productEnv(env), ctx);
	},
};
