import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importBoxKey, openSecret } from "../../src/auth/secretBox";
import { offlineEnv, runScript } from "./offline";

// `npm run principal` against a throwaway local D1 (wrangler's --persist-to), as an operator runs it.
const dir = mkdtempSync(join(tmpdir(), "elm-principal-"));
const devVars = join(dir, "dev.vars");
const boxKey = randomBytes(32).toString("base64");

function run(...args: string[]): string {
	return execFileSync(
		"node",
		["scripts/principal.mjs", ...args, "--persist-to", dir, "--dev-vars", devVars],
		{
			encoding: "utf8",
			stdio: ["ignore", "pipe", "pipe"],
		},
	);
}

/** The CLI's exit status and both streams, for the cases that must fail. */
function runFailing(args: string[], env: NodeJS.ProcessEnv = process.env) {
	return runScript("scripts/principal.mjs", args, env, 60_000);
}

function query(sql: string): Record<string, unknown>[] {
	const out = execFileSync(
		"npx",
		["wrangler", "d1", "execute", "DB", "--local", "--persist-to", dir, "--json", "--command", sql],
		{ encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
	);
	return (JSON.parse(out) as { results: Record<string, unknown>[] }[])[0]?.results ?? [];
}

beforeAll(() => {
	writeFileSync(devVars, `PRINCIPAL_SECRET_KEY='${boxKey}'\n`);
	execFileSync(
		"npx",
		["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir],
		{
			stdio: "ignore",
			env: { ...process.env, CI: "true" },
		},
	);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run principal", () => {
	it("creates a principal, prints its secret once, stores it only sealed, lists and revokes it", async () => {
		const out = run(
			"create",
			"--account",
			"123456789012",
			"--ops",
			"CheckoutBorrowLicense,CheckInLicense",
		);
		const accessKeyId = /Access key id:\s+(\S+)/.exec(out)?.[1] ?? "";
		const secret = /Secret access key:\s+(\S+)/.exec(out)?.[1] ?? "";
		expect(accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
		expect(secret.length).toBeGreaterThanOrEqual(40);

		const [row] = query(`SELECT * FROM principals WHERE access_key_id = '${accessKeyId}'`);
		expect(row).toMatchObject({
			account_id: "123456789012",
			allowed_operations: '["CheckoutBorrowLicense","CheckInLicense"]',
			rate_tier: "standard",
			status: "ACTIVE",
		});
		expect(String(row?.secret_ciphertext)).not.toContain(secret);
		const key = await importBoxKey(boxKey);
		expect(await openSecret(key, accessKeyId, String(row?.secret_ciphertext))).toBe(secret);

		const listed = run("list");
		expect(listed).toContain(accessKeyId);
		expect(listed).not.toContain(secret);
		expect(listed).not.toContain(String(row?.secret_ciphertext));

		expect(run("revoke", "--access-key", accessKeyId)).toContain(`Revoked ${accessKeyId}`);
		expect(query(`SELECT status FROM principals WHERE access_key_id = '${accessKeyId}'`)).toEqual([
			{ status: "REVOKED" },
		]);
	}, 120_000);

	it("accepts the extension operations (SPEC §8) by name, and not their AWS-prefixed or misspelt forms", () => {
		const ops = "ListBorrows,RevokeBorrow,GetUsageHistory,ListAuditEvents,GetLicense";
		const out = run("create", "--account", "123456789012", "--ops", ops);
		const accessKeyId = /Access key id:\s+(\S+)/.exec(out)?.[1] ?? "";
		expect(out).toContain(`Operations:        ${ops.split(",").join(", ")}`);
		expect(
			query(`SELECT allowed_operations FROM principals WHERE access_key_id = '${accessKeyId}'`),
		).toEqual([{ allowed_operations: JSON.stringify(ops.split(",")) }]);
		for (const bad of ["EdgeLicenseManager.ListBorrows", "GetUsagehistory"]) {
			expect(() => run("create", "--account", "123456789012", "--ops", bad)).toThrow(
				new RegExp(`unknown operation\\(s\\): ${bad.replace(".", "\\.")}`),
			);
		}
	}, 120_000);

	it("refuses an account id that is not 12 digits and an unknown operation, writing nothing", () => {
		expect(() => run("create", "--account", "1234")).toThrow(/12-digit/);
		expect(() => run("create", "--account", "123456789012", "--ops", "DeleteEverything")).toThrow(
			/unknown operation/,
		);
		expect(query("SELECT COUNT(*) AS n FROM principals WHERE account_id = '1234'")).toEqual([
			{ n: 0 },
		]);
	}, 120_000);
	it("revoking an access key that does not exist fails in one line and changes nothing", () => {
		const missing = "AKIANOSUCHKEY0000000";
		const before = query(
			"SELECT access_key_id, status, revoked_at FROM principals ORDER BY access_key_id",
		);
		const res = runFailing([
			"revoke",
			"--access-key",
			missing,
			"--persist-to",
			dir,
			"--dev-vars",
			devVars,
		]);
		expect(res.status).toBe(1);
		expect(res.stdout).not.toContain("Revoked");
		expect(res.stderr.trim()).toBe(
			`error: no principal with access key id ${missing}; nothing was revoked`,
		);
		expect(
			query("SELECT access_key_id, status, revoked_at FROM principals ORDER BY access_key_id"),
		).toEqual(before);
		expect(
			query(`SELECT COUNT(*) AS n FROM principals WHERE access_key_id = '${missing}'`),
		).toEqual([{ n: 0 }]);
	}, 120_000);

	it("revoking a key twice keeps the first revocation time and says so", () => {
		const out = run("create", "--account", "123456789012");
		const accessKeyId = /Access key id:\s+(\S+)/.exec(out)?.[1] ?? "";
		expect(run("revoke", "--access-key", accessKeyId)).toContain(`Revoked ${accessKeyId}`);
		const [first] = query(
			`SELECT status, revoked_at FROM principals WHERE access_key_id = '${accessKeyId}'`,
		);
		expect(first?.status).toBe("REVOKED");
		expect(run("revoke", "--access-key", accessKeyId).trim()).toBe(
			`${accessKeyId} was already revoked (at ${String(first?.revoked_at)}); nothing changed.`,
		);
		expect(
			query(`SELECT status, revoked_at FROM principals WHERE access_key_id = '${accessKeyId}'`),
		).toEqual([first]);
	}, 120_000);

	it("--remote without Cloudflare credentials: one clear line, non-zero, no stack and no SQL", () => {
		const home = mkdtempSync(join(tmpdir(), "elm-principal-home-"));
		try {
			// A configured production environment (a real-looking database_id), so the
			// configuration checks pass and the credentials check is what answers.
			const config = join(home, "wrangler.toml");
			writeFileSync(
				config,
				'name = "x"\ncompatibility_date = "2026-11-01"\n[env.production]\n' +
					'[[env.production.d1_databases]]\nbinding = "DB"\ndatabase_name = "x-production"\n' +
					'database_id = "3f0c6a52-8d2e-4b7e-9b1a-2a4f6c1d9e07"\n',
			);
			const env = offlineEnv(home, { PRINCIPAL_SECRET_KEY: boxKey });
			for (const args of [
				["create", "--account", "123456789012", "--remote"],
				["revoke", "--access-key", "AKIANOSUCHKEY0000000", "--remote"],
				["list", "--remote"],
			]) {
				const res = runFailing([...args, "--env", "production", "--config", config], env);
				expect(res.status, res.stderr).toBe(1);
				expect(res.stdout).toBe("");
				expect(res.stderr).toBe(
					"error: --remote needs Cloudflare credentials: set CLOUDFLARE_API_TOKEN or run `npx wrangler login`\n",
				);
				for (const leak of ["INSERT", "UPDATE", "SELECT", "principals", "    at ", boxKey])
					expect(res.stderr).not.toContain(leak);
			}
		} finally {
			rmSync(home, { recursive: true, force: true });
		}
	}, 120_000);

	it("any other wrangler failure is one line naming what failed, without the SQL's values", () => {
		// A local state dir whose database has no tables: the INSERT fails inside wrangler.
		const empty = mkdtempSync(join(tmpdir(), "elm-principal-empty-"));
		try {
			const res = runFailing([
				"create",
				"--account",
				"123456789012",
				"--persist-to",
				empty,
				"--dev-vars",
				devVars,
			]);
			expect(res.status, res.stderr).toBe(1);
			expect(res.stdout).toBe("");
			expect(res.stderr).toMatch(
				/^error: wrangler d1 execute --local failed: no such table: principals\b[^\n]*\n$/,
			);
			expect(res.stderr).not.toMatch(/INSERT|AKIA|123456789012| {4}at /);
		} finally {
			rmSync(empty, { recursive: true, force: true });
		}
	}, 120_000);
});
