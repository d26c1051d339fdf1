import { generateKeyPairSync, randomBytes } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildConsole } from "./scripts/build-console.ts";

/**
 * Four projects: `workers` runs inside workerd with the real Durable Object and a
 * local D1; `node` runs what only exists outside a Worker (the verifier CLI);
 * `console` unit-tests the operator console's views under happy-dom; `browser` drives
 * the console in Debian's Chromium against the Worker as `npm start` runs it.
 * A clean clone has no .dev.vars, so signing and secret-box keys are made here.
 */
function testSigningKeys(): { SIGNING_KEYS: string; SIGNING_PRIVATE_KEYS: string } {
	const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
	const jwk = privateKey.export({ format: "jwk" });
	return {
		SIGNING_KEYS: JSON.stringify([{ kid: "test-key-1", activeFrom: "2020-01-01T00:00:00Z" }]),
		SIGNING_PRIVATE_KEYS: JSON.stringify({ "test-key-1": jwk }),
	};
}

export default defineConfig(async () => {
	// wrangler.toml serves dist/assets (the console): the workers project needs it to
	// exist and the browser tests load it, so it is built before any project starts.
	await buildConsole();
	const migrations = await readD1Migrations("migrations");
	return {
		test: {
			projects: [
				{
					plugins: [
						cloudflareTest({
							wrangler: { configPath: "./wrangler.toml" },
							miniflare: {
								bindings: {
									TEST_MIGRATIONS: migrations,
									...testSigningKeys(),
									ISSUER_ID: "elm-test",
									PRINCIPAL_SECRET_KEY: randomBytes(32).toString("base64"),
									// Replay or lengthen the property-based fuzz (test/integration/fuzz.test.ts).
									FUZZ_SEED: process.env.FUZZ_SEED ?? "",
									FUZZ_PATH: process.env.FUZZ_PATH ?? "",
									FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
									FUZZ_TRACE: process.env.FUZZ_TRACE ?? "",
								},
								// Test principals use the bulk tier; the per-key limit itself is tested with stand-in
								// bindings on the service's clock (test/integration/ratelimit-regions.test.ts).
								ratelimits: {
									PRINCIPAL_LIMITER: { namespace_id: "1001", simple: { limit: 20, period: 60 } },
									PRINCIPAL_LIMITER_BULK: {
										namespace_id: "1002",
										simple: { limit: 1_000_000, period: 60 },
									},
									// Small, so a test trips it quickly (test/integration/auth-abuse.test.ts).
									AUTH_FAILURE_LIMITER: { namespace_id: "1003", simple: { limit: 10, period: 60 } },
								},
							},
						}),
					],
					test: {
						name: "workers",
						include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
						setupFiles: ["./test/helpers/setup.ts"],
					},
				},
				{ test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"] } },
				{
					oxc: { jsx: { runtime: "automatic" as const, importSource: "preact" } },
					test: {
						name: "console",
						environment: "happy-dom",
						include: ["test/console/**/*.test.{ts,tsx}"],
					},
				},
				{
					test: {
						name: "browser",
						environment: "node",
						// After the other projects, alone: it drives a Chromium against a whole
						// `npm start`, whose timings suffer on 2 shared cores under the workerd suite.
						sequence: { groupOrder: 1 },
						include: ["test/browser/**/*.test.ts"],
						// Starting the Worker the way `npm start` does takes a while on 2 shared cores.
						hookTimeout: 240_000,
						testTimeout: 120_000,
					},
				},
			],
		},
	};
});
