import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { offlineEnv, runScript } from "./offline";

// The scripts docs/deploy.md runs, on their failure paths: each must answer in one line
// (exit status 1, no stack trace) before anything reaches Cloudflare. No test here
// touches the network: the environment has no credentials and a proxy on a closed port.
const scratch = mkdtempSync(join(tmpdir(), "elm-deploy-scripts-"));
const home = join(scratch, "home");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(script: string, args: string[], extra: NodeJS.ProcessEnv = {}) {
	return runScript(script, args, offlineEnv(home, extra));
}

/** A failure: exit status 1, nothing on stdout, exactly `error: <line>` on stderr. */
function expectOneLine(res: ReturnType<typeof run>, line: string): void {
	expect(res.status, res.stderr).toBe(1);
	expect(res.stdout).toBe("");
	expect(res.stderr).toBe(`error: ${line}\n`);
}

/** A wrangler config whose production environment names a real-looking database. */
function configuredToml(): string {
	const path = join(scratch, "configured.toml");
	writeFileSync(
		path,
		[
			'name = "x"',
			'compatibility_date = "2026-11-01"',
			"[env.production]",
			"[[env.production.d1_databases]]",
			'binding = "DB"',
			'database_name = "x-production"',
			'database_id = "3f0c6a52-8d2e-4b7e-9b1a-2a4f6c1d9e07"',
		].join("\n"),
	);
	return path;
}

describe("npm run secrets", () => {
	it("writes one key per scheduled kid and the box key to a new 0600 file, never overwriting", () => {
		const out = join(scratch, "production.json");
		const res = run("scripts/secrets.mjs", ["--env", "production", "--out", out]);
		expect(res.status, res.stderr).toBe(0);
		expect(res.stdout).toContain(`npx wrangler secret bulk ${out} --env production`);
		expect(statSync(out).mode & 0o777).toBe(0o600);
		const secrets = JSON.parse(readFileSync(out, "utf8")) as Record<string, string>;
		expect(Object.keys(secrets).sort()).toEqual(["PRINCIPAL_SECRET_KEY", "SIGNING_PRIVATE_KEYS"]);
		expect(Buffer.from(secrets.PRINCIPAL_SECRET_KEY ?? "", "base64")).toHaveLength(32);
		const keys = JSON.parse(secrets.SIGNING_PRIVATE_KEYS ?? "{}") as Record<
			string,
			Record<string, unknown>
		>;
		// wrangler.toml's [env.production.vars] SIGNING_KEYS schedules production-1.
		expect(Object.keys(keys)).toEqual(["production-1"]);
		expect(keys["production-1"]).toMatchObject({ kty: "RSA", e: "AQAB" });
		expect(keys["production-1"]?.d).toBeTypeOf("string");
		// No secret value is ever printed.
		expect(res.stdout).not.toContain(secrets.PRINCIPAL_SECRET_KEY);

		const again = run("scripts/secrets.mjs", ["--env", "production", "--out", out]);
		expectOneLine(again, `cannot write ${out}: it already exists`);
		expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(secrets);
	}, 60_000);

	it("refuses a missing --env or --out, an unknown environment and a file inside the repository", () => {
		expectOneLine(
			run("scripts/secrets.mjs", []),
			"--env is required: the wrangler.toml environment the secrets are for, e.g. --env production",
		);
		expectOneLine(
			run("scripts/secrets.mjs", ["--env", "production"]),
			'--out is required: a new file in a private directory, e.g. --out "$(mktemp -d)/production.json"',
		);
		expectOneLine(
			run("scripts/secrets.mjs", ["--env", "staging", "--out", join(scratch, "s.json")]),
			"wrangler.toml has no [env.staging] section; it defines --env production",
		);
		expectOneLine(
			run("scripts/secrets.mjs", ["--env", "production", "--out", "secrets.json"]),
			'--out secrets.json is inside the repository, where it could be committed: write it to a private directory, e.g. "$(mktemp -d)/production.json"',
		);
	}, 60_000);
});

describe("npm run principal -- --remote", () => {
	it("names what to fix in wrangler.toml before calling wrangler: no --env, no such env, placeholder database_id", () => {
		const token = { CLOUDFLARE_API_TOKEN: "not-used" };
		expectOneLine(
			run("scripts/principal.mjs", ["list", "--remote"], token),
			"the top-level DB in wrangler.toml is the local development database; for the deployed one add --env production (docs/deploy.md)",
		);
		expectOneLine(
			run("scripts/principal.mjs", ["list", "--remote", "--env", "staging"], token),
			"wrangler.toml has no [env.staging] section; it defines --env production",
		);
		expectOneLine(
			run("scripts/principal.mjs", ["list", "--remote", "--env", "production"], token),
			"wrangler.toml [env.production] has no database_id for DB yet: run `npx wrangler d1 create edge-license-manager-production` and put the id it prints there (docs/deploy.md)",
		);
	}, 60_000);

	it("without CLOUDFLARE_API_TOKEN or a wrangler login: one line, before wrangler runs", () => {
		expectOneLine(
			run("scripts/principal.mjs", [
				"list",
				"--remote",
				"--env",
				"production",
				"--config",
				configuredToml(),
			]),
			"--remote needs Cloudflare credentials: set CLOUDFLARE_API_TOKEN or run `npx wrangler login`",
		);
	}, 60_000);

	it("a Cloudflare API wrangler cannot reach is one line, without a stack or the SQL", () => {
		const res = run(
			"scripts/principal.mjs",
			["list", "--remote", "--env", "production", "--config", configuredToml()],
			{ CLOUDFLARE_API_TOKEN: "placeholder-token" },
		);
		expectOneLine(
			res,
			"wrangler d1 execute --remote could not reach the Cloudflare API (fetch failed): check the network or proxy",
		);
		expect(res.stderr).not.toContain("placeholder-token");
	}, 60_000);

	it("create --remote without PRINCIPAL_SECRET_KEY says which value to set", () => {
		expectOneLine(
			run(
				"scripts/principal.mjs",
				[
					"create",
					"--account",
					"123456789012",
					"--remote",
					"--env",
					"production",
					"--config",
					configuredToml(),
				],
				{ CLOUDFLARE_API_TOKEN: "placeholder-token" },
			),
			"--remote needs PRINCIPAL_SECRET_KEY in the environment: the value of the Worker secret (docs/deploy.md)",
		);
	}, 60_000);
});
