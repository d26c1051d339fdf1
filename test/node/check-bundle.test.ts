import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// The CI check of the deploy artefact (.ci/run): `wrangler deploy --dry-run --env
// production` into a temporary directory, its gzip size against a budget. Offline:
// a dry run needs no credentials and sends nothing.
function run(args: string[]) {
	const res = spawnSync("node", ["scripts/check-bundle.mjs", ...args], {
		encoding: "utf8",
		stdio: ["ignore", "pipe", "pipe"],
		env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
		timeout: 180_000,
	});
	return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe("npm run check:bundle", () => {
	it("builds the production Worker with --dry-run and prints its gzip size against the budget", () => {
		const res = run(["--env", "production", "--budget-kib", "150"]);
		expect(res.status, res.stderr).toBe(0);
		expect(res.stdout).toMatch(
			/^Worker bundle \(--env production\): \d+\.\d\d KiB, gzip \d+\.\d\d KiB \(budget 150 KiB\)\n$/,
		);
	}, 180_000);

	it("fails in one line over budget and for an environment wrangler.toml lacks", () => {
		const over = run(["--env", "production", "--budget-kib", "1"]);
		expect(over.status).toBe(1);
		expect(over.stdout).toBe("");
		expect(over.stderr).toMatch(
			/^error: Worker bundle \(--env production\): [\d.]+ KiB, gzip [\d.]+ KiB \(budget 1 KiB\): over budget by [\d.]+ KiB\n$/,
		);
		expect(run(["--env", "staging"])).toEqual({
			status: 1,
			stdout: "",
			stderr: "error: wrangler.toml has no [env.staging] section; it defines --env production\n",
		});
	}, 180_000);
});
