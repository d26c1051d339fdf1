import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importBoxKey, openSecret } from "../../src/auth/secretBox";

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

	it("refuses an account id that is not 12 digits and an unknown operation, writing nothing", () => {
		expect(() => run("create", "--account", "1234")).toThrow(/12-digit/);
		expect(() => run("create", "--account", "123456789012", "--ops", "DeleteEverything")).toThrow(
			/unknown operation/,
		);
		expect(query("SELECT COUNT(*) AS n FROM principals WHERE account_id = '1234'")).toEqual([
			{ n: 0 },
		]);
	}, 120_000);
});
