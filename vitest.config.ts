import { generateKeyPairSync } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Tests run inside workerd with the real Durable Object and a local D1. A clean
 * clone has no .dev.vars, so the signing key is generated here, once per run.
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
	const migrations = await readD1Migrations("migrations");
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: {
						TEST_MIGRATIONS: migrations,
						...testSigningKeys(),
						ISSUER_ID: "elm-test",
					},
				},
			}),
		],
		test: {
			include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
			setupFiles: ["./test/helpers/setup.ts"],
		},
	};
});
