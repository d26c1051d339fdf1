/**
 * End-to-end test of bin/elm-verify.mjs as users run it: a real Node process, a
 * JWKS file on disk, exit codes. Runs in the "node" vitest project (workerd cannot
 * spawn processes). Builds dist/verify first so it never tests a stale build.
 *
 * The repo has no @types/node and tsconfig.json typechecks test/ with Workers types
 * only, so Node built-ins are loaded dynamically and typed by the small local
 * interfaces below instead of by static imports.
 */
import { importJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claims, ISSUED_AT_MS, ISSUER, LICENSE_ARN, sign } from "../fixtures/verify/tokens";

interface SpawnResult {
	status: number | null;
	stdout: string;
	stderr: string;
	error?: Error;
}
interface NodeApis {
	spawnSync(
		cmd: string,
		args: string[],
		opts: { cwd: string; encoding: "utf8"; input?: string; timeout: number },
	): SpawnResult;
	mkdtempSync(prefix: string): string;
	writeFileSync(path: string, data: string): void;
	rmSync(path: string, opts: { recursive: boolean; force: boolean }): void;
	tmpdir(): string;
	execPath: string;
}

const isNode = typeof navigator === "undefined" || navigator.userAgent !== "Cloudflare-Workers";
const root = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const cli = `${root}bin/elm-verify.mjs`;

let node: NodeApis;
let dir: string;
let jwksPath: string;
let token: string;

async function load(id: string): Promise<Record<string, unknown>> {
	return (await import(/* @vite-ignore */ id)) as Record<string, unknown>;
}

function run(args: string[], input?: string): SpawnResult {
	const result = node.spawnSync(node.execPath, [cli, ...args], {
		cwd: dir,
		encoding: "utf8",
		timeout: 60_000,
		...(input === undefined ? {} : { input }),
	});
	if (result.error) throw result.error;
	return result;
}

const during = new Date(ISSUED_AT_MS + 10 * 60_000).toISOString();
const base = () => ["--jwks", jwksPath, "--license-arn", LICENSE_ARN, "--now", during];

describe.skipIf(!isNode)("elm-verify CLI", () => {
	beforeAll(async () => {
		const [cp, fs, os] = await Promise.all([
			load("node:child_process"),
			load("node:fs"),
			load("node:os"),
		]);
		const proc = (globalThis as unknown as { process: { execPath: string } }).process;
		node = { ...cp, ...fs, ...os, execPath: proc.execPath } as unknown as NodeApis;

		const build = node.spawnSync(
			node.execPath,
			[`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.verify.json"],
			{ cwd: root, encoding: "utf8", timeout: 120_000 },
		);
		expect(build.stdout + build.stderr).toBe("");
		expect(build.status).toBe(0);

		dir = node.mkdtempSync(`${node.tmpdir()}/elm-verify-`);
		// The key comes from the CLI itself, so `keys generate` is covered end to end.
		const gen = run(["keys", "generate", "--kid", "k-cli", "--bits", "2048", "--json"]);
		expect(gen.status).toBe(0);
		const { privateJwk, publicJwk } = JSON.parse(gen.stdout) as { privateJwk: JWK; publicJwk: JWK };
		jwksPath = `${dir}/jwks.json`;
		node.writeFileSync(jwksPath, JSON.stringify({ keys: [publicJwk] }));
		const privateKey = (await importJWK(privateJwk, "PS384")) as Parameters<
			typeof sign
		>[0]["privateKey"];
		token = await sign({ kid: "k-cli", privateKey, publicJwk });
	}, 180_000);

	afterAll(() => {
		if (dir) node.rmSync(dir, { recursive: true, force: true });
	});

	it("valid token: exit 0, VALID and the claims as JSON", () => {
		const r = run([
			...base(),
			"--issuer",
			ISSUER,
			"--node-id",
			"node-A",
			"--entitlement",
			"Seats",
			token,
		]);
		expect(r.stderr).toBe("");
		expect(r.status).toBe(0);
		const [verdict, ...json] = r.stdout.split("\n");
		expect(verdict).toBe("VALID");
		expect(JSON.parse(json.join("\n"))).toEqual(claims());
	});

	it("reads the token from stdin with -", () => {
		const r = run([...base(), "-"], `${token}\n`);
		expect(r.status).toBe(0);
		expect(r.stdout.startsWith("VALID\n")).toBe(true);
	});

	it("invalid token: exit 1 and INVALID <CODE>", () => {
		const cases: [string[], string][] = [
			[["--node-id", "node-B"], "WRONG_NODE"],
			[["--entitlement", "Enterprise"], "ENTITLEMENT_MISSING"],
			[["--issuer", "someone-else"], "WRONG_ISSUER"],
		];
		for (const [extra, code] of cases) {
			const r = run([...base(), ...extra, token]);
			expect([r.status, r.stdout]).toEqual([
				1,
				expect.stringMatching(new RegExp(`^INVALID ${code}: `)),
			]);
		}
		const late = run([
			"--jwks",
			jwksPath,
			"--license-arn",
			LICENSE_ARN,
			"--now",
			"2027-01-01T00:00:00Z",
			token,
		]);
		expect([late.status, late.stdout]).toEqual([1, expect.stringMatching(/^INVALID EXPIRED: /)]);
		const wrongArn = run([
			"--jwks",
			jwksPath,
			"--license-arn",
			"arn:other",
			"--now",
			during,
			token,
		]);
		expect([wrongArn.status, wrongArn.stdout]).toEqual([
			1,
			expect.stringMatching(/^INVALID WRONG_LICENSE: /),
		]);
		const tampered = run([...base(), `${token.slice(0, -4)}AAAA`]);
		expect([tampered.status, tampered.stdout]).toEqual([
			1,
			expect.stringMatching(/^INVALID BAD_SIGNATURE: /),
		]);
	});

	it("usage and setup errors: exit 2", () => {
		expect(run([]).status).toBe(2);
		expect(run(["--jwks", jwksPath, token]).status).toBe(2); // no --license-arn
		expect(run([...base(), "--bogus", token]).status).toBe(2);
		expect(run([...base().slice(0, 4), "--now", "yesterday", token]).status).toBe(2);
		const missing = run(["--jwks", `${dir}/nope.json`, "--license-arn", LICENSE_ARN, token]);
		expect([missing.status, missing.stderr]).toEqual([
			2,
			expect.stringContaining("cannot read JWKS"),
		]);
		expect(run(["--help"]).status).toBe(0);
	});

	it("keys show lists kids with their status and schedule", () => {
		const schedule = JSON.stringify([
			{ kid: "k-cli", activeFrom: "2026-01-01T00:00:00Z" },
			{ kid: "k-next", activeFrom: "2027-01-01T00:00:00Z" },
		]);
		const r = run([
			"keys",
			"show",
			"--jwks",
			jwksPath,
			"--signing-keys",
			schedule,
			"--now",
			during,
		]);
		expect(r.status).toBe(0);
		expect(r.stdout).toMatch(
			/^k-cli\s+usable\s+RSA-2048 PS384; active since 2026-01-01T00:00:00Z$/m,
		);
		expect(r.stdout).toMatch(
			/^k-next\s+missing\s+not in the JWKS; pending until 2027-01-01T00:00:00Z$/m,
		);
	});

	it("keys generate prints the secret member, the SIGNING_KEYS entry and the wrangler hint", () => {
		const r = run([
			"keys",
			"generate",
			"--kid",
			"k-new",
			"--bits",
			"2048",
			"--active-from",
			"2026-12-01T00:00:00Z",
		]);
		expect(r.status).toBe(0);
		const member = r.stdout.split("\n").find((l) => l.startsWith('"k-new": '));
		const privateJwk = JSON.parse(`{${member}}`)["k-new"] as Record<string, unknown>;
		expect(privateJwk).toMatchObject({ kty: "RSA", kid: "k-new", alg: "PS384" });
		expect(typeof privateJwk.d).toBe("string");
		expect(r.stdout).toContain('{"kid":"k-new","activeFrom":"2026-12-01T00:00:00Z"}');
		expect(r.stdout).toContain("wrangler secret put SIGNING_PRIVATE_KEYS");
		expect(run(["keys", "generate", "--bits", "1024"]).status).toBe(2);
	});
});
