// @ts-check
// What every bench module shares: where the repository is, the bench principal, rounding.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const BENCH_ACCOUNT = "111122223333";
export const BENCH_KEY_ID = "AKIDBENCH0000000001";
export const KID = "bench-key-1";

/**
 * @param {number} x
 * @param {number} digits
 */
export function round(x, digits) {
	const f = 10 ** digits;
	return Math.round(x * f) / f;
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
