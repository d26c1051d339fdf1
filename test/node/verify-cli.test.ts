/**
 * End-to-end test of the edge-license-verify CLI (packages/verify/bin) as users run it: a real Node process, a
 * JWKS file on disk or served over local HTTP, exit codes. Runs in the "node"
 * vitest project (workerd cannot spawn processes); tsconfig.node.json types it.
 * Builds packages/verify/dist first so it never tests a stale build.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { importJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	claims,
	ISSUED_AT_MS,
	ISSUER,
	LICENSE_ARN,
	rawToken,
	sign,
	signRevocationList,
	type TestKey,
} from "../fixtures/verify/tokens";

interface RunResult {
	status: number | null;
	stdout: string;
	stderr: string;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = `${root}packages/verify/bin/edge-license-verify.mjs`;

let dir: string;
let jwksPath: string;
let jwksText: string;
let token: string;
let cliKey: TestKey;

function run(args: string[], input?: string): RunResult {
	const result = spawnSync(process.execPath, [cli, ...args], {
		cwd: dir,
		encoding: "utf8",
		timeout: 60_000,
		...(input === undefined ? {} : { input }),
	});
	if (result.error) throw result.error;
	return result;
}

/** Like run, without blocking the event loop: for tests whose JWKS is served by this process. */
function runAsync(args: string[], input?: string): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [cli, ...args], { cwd: dir });
		let stdout = "";
		let stderr = "";
		child.stdout.setEncoding("utf8").on("data", (d: string) => {
			stdout += d;
		});
		child.stderr.setEncoding("utf8").on("data", (d: string) => {
			stderr += d;
		});
		child.on("error", reject);
		child.on("close", (status) => resolve({ status, stdout, stderr }));
		child.stdin.end(input ?? "");
	});
}

/** A C0 or C1 control other than the line feed, or DEL: what must never reach the terminal raw. */
function rawControls(text: string): string[] {
	return [...text].filter((c) => {
		const n = c.codePointAt(0) ?? 0;
		return (n < 0x20 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f);
	});
}

const during = new Date(ISSUED_AT_MS + 10 * 60_000).toISOString();
const base = () => ["--jwks", jwksPath, "--license-arn", LICENSE_ARN, "--now", during];

describe("edge-license-verify CLI", () => {
	beforeAll(async () => {
		const build = spawnSync(
			process.execPath,
			[`${root}node_modules/typescript/bin/tsc`, "-p", "packages/verify/tsconfig.json"],
			{ cwd: root, encoding: "utf8", timeout: 120_000 },
		);
		expect(build.stdout + build.stderr).toBe("");
		expect(build.status).toBe(0);

		dir = mkdtempSync(`${tmpdir()}/edge-license-verify-`);
		// The key comes from the CLI itself, so `keys generate` is covered end to end.
		const gen = run(["keys", "generate", "--kid", "k-cli", "--bits", "2048", "--json"]);
		expect(gen.status).toBe(0);
		const { privateJwk, publicJwk } = JSON.parse(gen.stdout) as { privateJwk: JWK; publicJwk: JWK };
		jwksPath = `${dir}/jwks.json`;
		jwksText = JSON.stringify({ keys: [publicJwk] });
		writeFileSync(jwksPath, jwksText);
		const privateKey = (await importJWK(privateJwk, "PS384")) as TestKey["privateKey"];
		cliKey = { kid: "k-cli", privateKey, publicJwk };
		token = await sign(cliKey);
	}, 180_000);

	afterAll(() => {
		if (dir) rmSync(dir, { recursive: true, force: true });
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

	describe("a JWKS over HTTP", () => {
		let server: Server;
		let port: number;
		let requests: string[];

		beforeAll(async () => {
			requests = [];
			server = createServer((req, res) => {
				requests.push(req.url ?? "");
				if (req.url === "/moved") {
					res.writeHead(302, { Location: `http://127.0.0.1:${port}/jwks.json` }).end();
				} else {
					res.writeHead(200, { "Content-Type": "application/json" }).end(jwksText);
				}
			});
			await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
			port = (server.address() as AddressInfo).port;
		});

		afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

		const args = (url: string, ...extra: string[]) => [
			"--jwks",
			url,
			"--license-arn",
			LICENSE_ARN,
			"--now",
			during,
			...extra,
			token,
		];

		it("plain http:// is refused without --allow-http-localhost, before any request", async () => {
			const r = await runAsync(args(`http://127.0.0.1:${port}/jwks.json`));
			expect(r.status).toBe(2);
			expect(r.stdout).toBe("");
			expect(r.stderr).toContain("refusing to fetch the JWKS over plain http://");
			expect(r.stderr).toContain("--allow-http-localhost");
			expect(requests).toEqual([]);
		});

		it("--allow-http-localhost allows it for localhost and 127.0.0.0/8 only", async () => {
			for (const host of ["127.0.0.1", "localhost"]) {
				const r = await runAsync(
					args(`http://${host}:${port}/jwks.json`, "--allow-http-localhost"),
				);
				expect([r.status, r.stderr], host).toEqual([0, ""]);
				expect(r.stdout.startsWith("VALID\n")).toBe(true);
			}
			expect(requests).toEqual(["/jwks.json", "/jwks.json"]);
			// Not for another host: refused by the library, no request made.
			const remote = await runAsync(
				args("http://elm.example/.well-known/jwks.json", "--allow-http-localhost"),
			);
			expect(remote.status).toBe(2);
			expect(remote.stderr).toContain(
				"allowInsecureLocalhost allows http:// to localhost, 127.0.0.0/8 and [::1] only",
			);
			// keys show takes the flag too.
			const show = await runAsync([
				"keys",
				"show",
				"--jwks",
				`http://127.0.0.1:${port}/jwks.json`,
				"--allow-http-localhost",
			]);
			expect(show.status).toBe(0);
			expect(show.stdout).toMatch(/^k-cli\s+usable\s+RSA-2048 PS384$/m);
		});

		it("a redirect is refused, not followed", async () => {
			requests.length = 0;
			const r = await runAsync(args(`http://127.0.0.1:${port}/moved`, "--allow-http-localhost"));
			expect(r.status).toBe(2);
			expect(r.stderr).toContain("answered with a redirect (HTTP 302 to");
			expect(r.stderr).toContain("redirects are not followed");
			expect(requests).toEqual(["/moved"]);
		});
	});

	describe("--revocations <file|url>", () => {
		let listPath: string;
		let listText: string;
		let server: Server;
		let port: number;

		beforeAll(async () => {
			listText = await signRevocationList(cliKey, [
				{ jti: claims().jti as string, exp: ISSUED_AT_MS / 1000 + 3600, reason: "REVOKED" },
			]);
			listPath = `${dir}/revocations.jwt`;
			writeFileSync(listPath, listText);
			server = createServer((_req, res) => {
				res.writeHead(200, { "Content-Type": "application/jwt" }).end(listText);
			});
			await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
			port = (server.address() as AddressInfo).port;
		});

		afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

		const base = ["--jwks", "JWKS", "--license-arn", LICENSE_ARN, "--now", "NOW"];
		const argv = (list: string, now: string, ...extra: string[]) => [
			...base.map((a) => (a === "JWKS" ? jwksPath : a === "NOW" ? now : a)),
			"--revocations",
			list,
			...extra,
			token,
		];
		const listNow = new Date(ISSUED_AT_MS + 25 * 60_000).toISOString();

		it("a listed token is INVALID REVOKED (exit 1), from a file and from a local URL", async () => {
			const fromFile = run(argv(listPath, listNow));
			expect([fromFile.status, fromFile.stderr]).toEqual([1, ""]);
			expect(fromFile.stdout).toMatch(
				/^INVALID REVOKED: borrow ".*" was revoked by the license's issuer/,
			);
			const fromUrl = await runAsync(
				argv(`http://127.0.0.1:${port}/revocations/l-x`, listNow, "--allow-http-localhost"),
			);
			expect([fromUrl.status, fromUrl.stderr]).toEqual([1, ""]);
			expect(fromUrl.stdout).toMatch(/^INVALID REVOKED/);
		});

		it("an unlisted token is VALID; an expired list is INVALID STALE_REVOCATION_LIST", async () => {
			const empty = `${dir}/empty.jwt`;
			writeFileSync(empty, await signRevocationList(cliKey, []));
			const valid = run(argv(empty, listNow));
			expect(valid.status).toBe(0);
			expect(valid.stdout.startsWith("VALID\n")).toBe(true);
			const later = new Date(ISSUED_AT_MS + 20 * 60_000 + 3_600_000 + 301_000).toISOString();
			const stale = run([...argv(empty, later).slice(0, -1), "--clock-tolerance", "300", token]);
			expect(stale.status).toBe(1);
			expect(stale.stdout).toMatch(/^INVALID STALE_REVOCATION_LIST: revocation list expired at /);
		});

		it("plain http:// without --allow-http-localhost is refused before any request (exit 2)", async () => {
			const r = await runAsync(argv(`http://127.0.0.1:${port}/revocations/l-x`, listNow));
			expect(r.status).toBe(2);
			expect(r.stderr).toContain("refusing to fetch the revocation list over plain http://");
		});
	});

	it("control characters from the token are escaped in the printed claims and in error lines", async () => {
		const nasty = "ada\u001b[31mRED\u0085\u009b2J\u0007";
		const evil = await sign(
			cliKey,
			claims({ nodeId: nasty, checkoutMetadata: { "\u001b[31muser": nasty } }),
		);
		const valid = run([...base(), evil]);
		expect(valid.status).toBe(0);
		expect(rawControls(valid.stdout)).toEqual([]);
		expect(valid.stdout).toContain("ada\\u001b[31mRED\\u0085\\u009b2J\\u0007");
		// Still the claims, as JSON.
		const [verdict, ...json] = valid.stdout.split("\n");
		expect(verdict).toBe("VALID");
		expect(JSON.parse(json.join("\n"))).toEqual(
			claims({ nodeId: nasty, checkoutMetadata: { "\u001b[31muser": nasty } }),
		);

		const invalid = run([...base(), "--node-id", "node-A", evil]);
		expect(invalid.status).toBe(1);
		expect(rawControls(invalid.stdout)).toEqual([]);
		expect(invalid.stdout).toMatch(/^INVALID WRONG_NODE: [^\n]*\\u001b\[31mRED\\u0085[^\n]*\n$/);
	});

	it("a 5 MB alg read from stdin gives a one-line, clipped error", () => {
		const huge = rawToken(
			{ alg: `\u001b[2J${"A".repeat(5 * 1024 * 1024)}`, kid: "k-cli" },
			claims(),
			"c2ln",
		);
		const r = run([...base(), "-"], huge);
		expect(r.status).toBe(1);
		expect(r.stdout).toMatch(/^INVALID ALGORITHM_NOT_ALLOWED: alg "\\u001b\[2JAAA/);
		expect(r.stdout.length).toBeLessThan(1000);
		expect(rawControls(r.stdout)).toEqual([]);
	});
});
