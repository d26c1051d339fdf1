import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module without type declarations
import { newAccessKeyId } from "../../scripts/lib/principals.mjs";
import { ACCESS_KEY_ID_PATTERN } from "../../src/auth/accessKeyId";

/**
 * SPEC §11 refuses access key ids outside ^[A-Z0-9]{16,128}$ without a lookup:
 * every id the project mints or documents must match it, or it would stop working.
 */
describe("access key ids the project hands out", () => {
	it("npm run principal mints well-formed ids", () => {
		for (let i = 0; i < 1000; i++) {
			expect((newAccessKeyId as () => string)()).toMatch(ACCESS_KEY_ID_PATTERN);
		}
	});

	it("the dev, test, bench and README keys are well-formed", () => {
		const files = [
			"scripts/dev-start.mjs",
			"test/helpers/principals.ts",
			"test/integration/access.test.ts",
			"bench/lib/common.mjs",
			"README.md",
			"docs/api.md",
			"docs/operations.md",
		];
		const ids = files.flatMap((file) =>
			[...readFileSync(file, "utf8").matchAll(/\b(AKI[A-Z][A-Z0-9]{6,})\b/g)].map((m) => m[1]),
		);
		expect(ids).toContain("AKIDLOCALDEV0000001");
		expect(ids).toContain("AKIDBENCH0000000001");
		for (const id of ids) expect(id).toMatch(ACCESS_KEY_ID_PATTERN);
	});
});
