// @ts-check
// Bundles the product (src/ unchanged) and the bench-only workers with esbuild, as wrangler would for workerd.
import { mkdirSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { build, stop as stopEsbuild } from "esbuild";
import { ROOT } from "./common.mjs";

const BUILD_DIR = join(ROOT, "bench/.build");

/** @type {import("esbuild").BuildOptions & { logLevel: import("esbuild").LogLevel }} */
const ESBUILD_COMMON = {
	bundle: true,
	format: "esm",
	platform: "neutral",
	target: "es2022",
	external: ["cloudflare:*", "node:*"],
	// As wrangler does with nodejs_compat: a bare Node built-in ("buffer", imported by
	// @aws-crypto/sha256-js's helpers) is the runtime's `node:` module.
	alias: Object.fromEntries(
		builtinModules.filter((m) => !m.startsWith("_")).map((m) => [m, `node:${m}`]),
	),
	conditions: ["workerd", "worker", "browser"],
	mainFields: ["module", "main"],
	logLevel: "warning",
	minify: false,
};

/**
 * Bundles one Worker entry the way wrangler would for workerd.
 * @param {string} entry
 * @param {string} outfile
 * @param {import("esbuild").LogLevel} [logLevel]
 */
export function bundle(entry, outfile, logLevel = ESBUILD_COMMON.logLevel) {
	return build({ ...ESBUILD_COMMON, entryPoints: [entry], outfile, logLevel });
}

/**
 * Bundles the product and the bench-only stage worker. The product's bundle is
 * src/index.ts unchanged behind bench/workers/product-entry.js, which can give it an
 * in-process rate-limit binding instead of Miniflare's simulated one (see there).
 */
export async function buildWorkers() {
	mkdirSync(BUILD_DIR, { recursive: true });
	await bundle(join(ROOT, "bench/workers/product-entry.js"), join(BUILD_DIR, "product.js"));
	await bundle(join(ROOT, "bench/workers/stage-worker.js"), join(BUILD_DIR, "stage.js"));
	await stopEsbuild();
	return { product: join(BUILD_DIR, "product.js"), stage: join(BUILD_DIR, "stage.js") };
}

export { stopEsbuild };
