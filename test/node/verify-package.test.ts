/**
 * The verifier as a user gets it: `npm pack` of packages/verify (its prepack builds
 * dist/), the tarball installed into a fresh project, then the import (a token
 * verified against a JWKS, the shipped type declarations checked by tsc) and the
 * `edge-license-verify` CLI through npx.
 *
 * Offline by construction: npm gets an empty cache, `--offline` and a registry on a
 * closed port, and jose (the one dependency) is installed from a tarball packed from
 * this repository's node_modules, so nothing is looked up on a registry.
 * The package is packed from a copy so its build never races the CLI test's build of
 * packages/verify/dist.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { importJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claims, ISSUED_AT_MS, LICENSE_ARN, sign, type TestKey } from "../fixtures/verify/tokens";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGE = join(ROOT, "packages/verify");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

let dir: string;
let app: string;
let npmEnv: NodeJS.ProcessEnv;
let packed: { filename: string; files: { path: string }[] };

function run(command: string, args: string[], cwd: string, input?: string) {
	const r = spawnSync(command, args, {
		cwd,
		env: npmEnv,
		encoding: "utf8",
		timeout: 120_000,
		...(input === undefined ? {} : { input }),
	});
	if (r.error) throw r.error;
	return r;
}

function npm(args: string[], cwd: string) {
	const r = run("npm", args, cwd);
	expect(r.status, `npm ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
	return r.stdout;
}

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), "edge-license-verifier-pack-"));
	npmEnv = {
		...process.env,
		npm_config_cache: join(dir, "npm-cache"),
		npm_config_offline: "true",
		npm_config_registry: "http://127.0.0.1:9/",
		npm_config_audit: "false",
		npm_config_fund: "false",
		npm_config_update_notifier: "false",
		npm_config_loglevel: "error",
	};

	// The package folder as committed (no dist/), with the repository's node_modules
	// beside it for tsc and jose's types, as in a checkout.
	const source = join(dir, "verify");
	for (const entry of ["package.json", "LICENSE", "README.md", "tsconfig.json", "src", "bin"])
		cpSync(join(PACKAGE, entry), join(source, entry), { recursive: true });
	symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"), "dir");
	[packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", dir], source));

	const jose = JSON.parse(
		npm(
			[
				"pack",
				"--json",
				"--ignore-scripts",
				"--pack-destination",
				dir,
				join(ROOT, "node_modules/jose"),
			],
			dir,
		),
	)[0].filename as string;

	app = join(dir, "app");
	mkdirSync(app);
	writeFileSync(
		join(app, "package.json"),
		JSON.stringify({ name: "verifier-consumer", private: true, type: "module" }),
	);
	npm(["install", join(dir, packed.filename), join(dir, jose)], app);
}, 240_000);

afterAll(() => {
	if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("edge-license-verifier, packed and installed", () => {
	it("the tarball holds the built library, its types, the CLI and the README — not the sources", () => {
		expect(packed.filename).toMatch(/^edge-license-verifier-\d+\.\d+\.\d+\.tgz$/);
		const files = packed.files.map((f) => f.path).sort();
		for (const file of [
			"package.json",
			"LICENSE",
			"README.md",
			"bin/edge-license-verify.mjs",
			"dist/index.js",
			"dist/index.d.ts",
			"dist/verify.js",
			"dist/keygen.js",
		])
			expect(files).toContain(file);
		expect(files.filter((f) => f.startsWith("src/") || f.endsWith("tsconfig.json"))).toEqual([]);
	});

	it("imports by name and verifies a real token against a JWKS; the claims come back", async () => {
		const keygen = run(
			"npx",
			["edge-license-verify", "keys", "generate", "--kid", "pkg-1", "--bits", "2048", "--json"],
			app,
		);
		expect(keygen.stderr).toBe("");
		expect(keygen.status).toBe(0);
		const { privateJwk, publicJwk } = JSON.parse(keygen.stdout) as {
			privateJwk: JWK;
			publicJwk: JWK;
		};
		const key: TestKey = {
			kid: "pkg-1",
			privateKey: (await importJWK(privateJwk, "PS384")) as TestKey["privateKey"],
			publicJwk,
		};
		const token = await sign(key);
		writeFileSync(join(app, "jwks.json"), JSON.stringify({ keys: [publicJwk] }));
		writeFileSync(
			join(app, "check.mjs"),
			`import { readFileSync } from "node:fs";
import { isBorrowTokenError, verifyBorrowToken } from "edge-license-verifier";
const [token, licenseArn, now] = process.argv.slice(2);
const keys = JSON.parse(readFileSync("jwks.json", "utf8"));
try {
	const claims = await verifyBorrowToken(token, { keys, licenseArn, now: new Date(now) });
	console.log(JSON.stringify(claims));
} catch (error) {
	if (!isBorrowTokenError(error)) throw error;
	console.log(error.code);
}
`,
		);
		const during = new Date(ISSUED_AT_MS + 60_000).toISOString();
		const ok = run(process.execPath, ["check.mjs", token, LICENSE_ARN, during], app);
		expect(ok.stderr).toBe("");
		expect(JSON.parse(ok.stdout)).toEqual(claims());

		const otherLicense = LICENSE_ARN.replace("0123456789abcdef0123", "ffffffffffffffffffff");
		const wrong = run(process.execPath, ["check.mjs", token, otherLicense, during], app);
		expect(wrong.stdout.trim()).toBe("WRONG_LICENSE");
	});

	it("its type declarations resolve through `exports` and type a consumer's code", () => {
		writeFileSync(
			join(app, "tsconfig.json"),
			JSON.stringify({
				compilerOptions: {
					module: "nodenext",
					moduleResolution: "nodenext",
					target: "es2022",
					lib: ["es2024", "dom"],
					types: [],
					strict: true,
					noEmit: true,
				},
				files: ["consumer.ts"],
			}),
		);
		writeFileSync(
			join(app, "consumer.ts"),
			`import { type BorrowTokenClaims, fetchJwks, verifyBorrowToken } from "edge-license-verifier";
export async function expiration(token: string, licenseArn: string): Promise<string> {
	const keys = await fetchJwks("https://licenses.example.com/.well-known/jwks.json");
	const claims: BorrowTokenClaims = await verifyBorrowToken(token, { keys, licenseArn });
	return claims.expiration;
}
`,
		);
		const ok = run(process.execPath, [TSC, "-p", "tsconfig.json"], app);
		expect(ok.stdout + ok.stderr).toBe("");
		expect(ok.status).toBe(0);

		// And it does catch a mistake: the declarations are typed, not `any`.
		writeFileSync(
			join(app, "consumer.ts"),
			`import { verifyBorrowToken } from "edge-license-verifier";
export const n: number = await verifyBorrowToken("t", { keys: { keys: [] }, licenseArn: "a" });
`,
		);
		const bad = run(process.execPath, [TSC, "-p", "tsconfig.json"], app);
		expect(bad.status).not.toBe(0);
		expect(bad.stdout).toMatch(/consumer\.ts.*BorrowTokenClaims.*not assignable to type 'number'/s);
	});

	it("the CLI runs through npx: --help, a valid token, an invalid one", async () => {
		const help = run("npx", ["edge-license-verify", "--help"], app);
		expect(help.status).toBe(0);
		expect(help.stderr).toBe("");
		expect(help.stdout).toMatch(
			/^Usage:\n {2}edge-license-verify --jwks <file\|url> --license-arn <arn>/,
		);

		const keygen = run(
			"npx",
			["edge-license-verify", "keys", "generate", "--kid", "pkg-cli", "--bits", "2048", "--json"],
			app,
		);
		const { privateJwk, publicJwk } = JSON.parse(keygen.stdout) as {
			privateJwk: JWK;
			publicJwk: JWK;
		};
		writeFileSync(join(app, "cli-jwks.json"), JSON.stringify({ keys: [publicJwk] }));
		const token = await sign({
			kid: "pkg-cli",
			privateKey: (await importJWK(privateJwk, "PS384")) as TestKey["privateKey"],
			publicJwk,
		});
		const now = new Date(ISSUED_AT_MS + 60_000).toISOString();
		const verify = (licenseArn: string) => [
			"edge-license-verify",
			...["--jwks", "cli-jwks.json", "--now", now, "--license-arn", licenseArn, "-"],
		];

		const valid = run("npx", verify(LICENSE_ARN), app, token);
		expect(valid.stderr).toBe("");
		expect(valid.status).toBe(0);
		const [verdict, ...json] = valid.stdout.split("\n");
		expect(verdict).toBe("VALID");
		expect(JSON.parse(json.join("\n"))).toEqual(claims());

		const other = LICENSE_ARN.replace("123456789012", "210987654321");
		const invalid = run("npx", verify(other), app, token);
		expect(invalid.status).toBe(1);
		expect(invalid.stdout).toMatch(/^INVALID WRONG_LICENSE: /);
	});
});
