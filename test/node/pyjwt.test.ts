/**
 * AWS's sample verifier must work unchanged on our tokens:
 *
 *     jwt.decode(token, key, algorithms=["PS384"])   # Python, PyJWT
 *
 * Tokens here are made by the service's own signer (src/signing/token.ts, plain
 * WebCrypto, so it runs in Node too) with a fresh RSA-3072 key; the key is handed to
 * Python exactly as the service publishes it: the JWKS from `jwksAt` and the PEM from
 * `publicPem` (what GET /.well-known/jwks.json and GET /keys/<kid>.pem serve).
 * The Python side is test/fixtures/pyjwt/verify_token.py, the snippet docs/verifying.md shows.
 *
 * Needs /usr/bin/python3 with PyJWT 2.x and cryptography (Debian packages
 * python3-jwt, python3-cryptography). Missing, the suite fails and says so: a
 * silent skip would let the compatibility promise rot unnoticed.
 */
import { spawnSync } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The service's signing code, loaded at run time. A static import would pull the
 * Worker's type graph (D1Database, DurableObject, …) into tsconfig.node.json, which
 * has Node types only; these local types cover the few members used here.
 */
interface BorrowClaims {
	licenseArn: string;
	licenseConsumptionToken: string;
	entitlementsAllowed: Array<{ name: string; value?: string; unit: string }>;
	nodeId?: string;
	issuedAt: string;
	expiration: string;
	checkoutMetadata: Record<string, string>;
	iss: string;
	sub: string;
	exp: number;
	jti: string;
}
interface SigningEnv {
	SIGNING_KEYS: string;
	SIGNING_PRIVATE_KEYS: string;
	ISSUER_ID: string;
}
interface Signing {
	signBorrowToken(env: SigningEnv, claims: BorrowClaims, now: number): Promise<string>;
	jwksAt(env: SigningEnv, maxTtlMs: number, now: number): { keys: Array<{ kid: string }> };
	scheduledKeys(env: SigningEnv): unknown[];
	signingKeyAt(keys: unknown[], now: number): unknown;
	publicPem(key: unknown): Promise<string>;
}

async function loadSigning(): Promise<Signing> {
	const url = (path: string) => new URL(path, import.meta.url).href;
	const [keys, token] = await Promise.all([
		import(/* @vite-ignore */ url("../../src/signing/keys.ts")),
		import(/* @vite-ignore */ url("../../src/signing/token.ts")),
	]);
	return { ...keys, ...token } as Signing;
}

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("../fixtures/pyjwt/verify_token.py", import.meta.url));
const INSTALL_HINT =
	"PyJWT with cryptography is required for /usr/bin/python3: run `apt-get install -y python3-jwt python3-cryptography`";

const KID = "py-key-1";
const ISSUER = "elm-pyjwt-test";
const MAX_TTL_MS = 43_200 * 60_000;
const LICENSE_ARN =
	"arn:aws:license-manager::111122223333:license:l-0123456789abcdef0123456789abcdef";
const OTHER_ARN =
	"arn:aws:license-manager::444455556666:license:l-fedcba9876543210fedcba9876543210";

let dir: string;
let signing: Signing;
let env: SigningEnv;
let jwksPath: string;
let pemPath: string;

function iso(ms: number): string {
	return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** The claim set CheckoutBorrowLicense signs (src/license/object.ts), for a checkout at `issuedMs`. */
function claimsAt(
	issuedMs: number,
	ttlMs: number,
	overrides: Partial<BorrowClaims> = {},
): BorrowClaims {
	const issued = Math.floor(issuedMs / 1000) * 1000;
	const expires = issued + ttlMs;
	const checkoutMetadata: Record<string, string> = Object.create(null);
	checkoutMetadata.user = "ada";
	const licenseArn = overrides.licenseArn ?? LICENSE_ARN;
	return {
		licenseArn,
		licenseConsumptionToken: "lct-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		entitlementsAllowed: [
			{ name: "Seats", value: "2", unit: "Count" },
			{ name: "Tier", value: "Enterprise", unit: "None" },
		],
		nodeId: "laptop-42",
		issuedAt: iso(issued),
		expiration: iso(expires),
		checkoutMetadata,
		iss: ISSUER,
		sub: licenseArn,
		exp: expires / 1000,
		jti: "lct-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		...overrides,
	};
}

function sign(claims: BorrowClaims): Promise<string> {
	return signing.signBorrowToken(env, claims, Date.now());
}

/** What Python gets back after JSON: undefined members dropped, null prototypes gone. */
function asJson(claims: BorrowClaims): unknown {
	return JSON.parse(JSON.stringify(claims));
}

function python(args: string[], token: string): { status: number | null; out: string } {
	const r = spawnSync(PYTHON, [SCRIPT, ...args], {
		input: token,
		encoding: "utf8",
		timeout: 30_000,
	});
	if (r.error) throw r.error;
	// A traceback or a usage error is a broken test, not a refused token.
	expect(r.stderr).toBe("");
	return { status: r.status, out: r.stdout.trim() };
}

function accepted(args: string[], token: string): unknown {
	const r = python(args, token);
	expect(r.out).not.toMatch(/^INVALID/);
	expect(r.status).toBe(0);
	return JSON.parse(r.out);
}

function refused(args: string[], token: string): string {
	const r = python(args, token);
	expect(r.status).toBe(1);
	expect(r.out).toMatch(/^INVALID /);
	return r.out;
}

describe("AWS's PyJWT sample verifies borrow tokens unchanged", () => {
	beforeAll(async () => {
		const probe = spawnSync(PYTHON, ["-c", "import jwt, cryptography; print(jwt.__version__)"], {
			encoding: "utf8",
			timeout: 30_000,
		});
		if (probe.error || probe.status !== 0) {
			const why = probe.error?.message ?? probe.stderr.trim().split("\n").pop();
			throw new Error(`${INSTALL_HINT} (${why})`);
		}
		const major = Number(probe.stdout.trim().split(".")[0]);
		if (!(major >= 2)) throw new Error(`PyJWT 2.x is required, found ${probe.stdout.trim()}`);

		signing = await loadSigning();
		// The service's default key size, as a private JWK like the SIGNING_PRIVATE_KEYS secret holds.
		const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
		env = {
			// retiredAt set (far ahead), so the JWKS entry carries both window members (SPEC §5).
			SIGNING_KEYS: JSON.stringify([
				{ kid: KID, activeFrom: "2020-01-01T00:00:00Z", retiredAt: "2099-01-01T00:00:00Z" },
			]),
			SIGNING_PRIVATE_KEYS: JSON.stringify({ [KID]: privateKey.export({ format: "jwk" }) }),
			ISSUER_ID: ISSUER,
		};

		dir = mkdtempSync(join(tmpdir(), "elm-pyjwt-"));
		jwksPath = join(dir, "jwks.json");
		pemPath = join(dir, `${KID}.pem`);
		const jwks = signing.jwksAt(env, MAX_TTL_MS, Date.now());
		expect(jwks.keys.map((k) => k.kid)).toEqual([KID]);
		// Extra members PyJWK and from_jwk must ignore: every test below loads this JWKS.
		expect(jwks.keys[0]).toMatchObject({
			activeFrom: "2020-01-01T00:00:00Z",
			retiredAt: "2099-01-01T00:00:00Z",
		});
		writeFileSync(jwksPath, JSON.stringify(jwks));
		writeFileSync(
			pemPath,
			await signing.publicPem(signing.signingKeyAt(signing.scheduledKeys(env), Date.now())),
		);
	}, 120_000);

	afterAll(() => {
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it("jwt.decode with the key from the JWKS via PyJWK returns every claim", async () => {
		const claims = claimsAt(Date.now(), 60 * 60_000);
		const token = await sign(claims);
		expect(decodeProtectedHeader(token)).toEqual({ alg: "PS384", typ: "JWT", kid: KID });
		expect(accepted(["--jwks", jwksPath, "--loader", "pyjwk"], token)).toEqual(asJson(claims));
	});

	it("jwt.decode with the key from RSAPSSAlgorithm.from_jwk (a token without nodeId)", async () => {
		const claims = claimsAt(Date.now(), 60 * 60_000, { nodeId: undefined });
		const token = await sign(claims);
		const out = accepted(["--jwks", jwksPath, "--loader", "from_jwk"], token);
		expect(out).toEqual(asJson(claims));
		expect(out).not.toHaveProperty("nodeId");
	});

	it("jwt.decode with the PEM served at /keys/<kid>.pem", async () => {
		const claims = claimsAt(Date.now(), 30 * 24 * 60 * 60_000);
		expect(accepted(["--pem", pemPath], await sign(claims))).toEqual(asJson(claims));
	});

	it("refuses an expired token (exp in the past) with ExpiredSignatureError", async () => {
		const twoHoursAgo = Date.now() - 2 * 60 * 60_000;
		const token = await sign(claimsAt(twoHoursAgo, 60 * 60_000));
		for (const args of [
			["--jwks", jwksPath],
			["--pem", pemPath],
		]) {
			expect(refused(args, token)).toMatch(/^INVALID ExpiredSignatureError/);
		}
	});

	it("refuses a token whose payload was altered with InvalidSignatureError", async () => {
		const [header, , signature] = (await sign(claimsAt(Date.now(), 60 * 60_000))).split(".");
		const forged = Buffer.from(
			JSON.stringify(claimsAt(Date.now(), 365 * 24 * 60 * 60_000)),
		).toString("base64url");
		const token = `${header}.${forged}.${signature}`;
		expect(refused(["--jwks", jwksPath], token)).toMatch(/^INVALID InvalidSignatureError/);
	});

	it("refuses HS384 signed with the public PEM as the secret: algorithms pins PS384", async () => {
		const pem = readFileSync(pemPath);
		const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
		const input = `${enc({ alg: "HS384", typ: "JWT", kid: KID })}.${enc(asJson(claimsAt(Date.now(), 60 * 60_000)))}`;
		const token = `${input}.${createHmac("sha384", pem).update(input).digest("base64url")}`;
		expect(refused(["--pem", pemPath], token)).toMatch(/^INVALID InvalidAlgorithmError/);
	});

	it("a valid token of another license passes jwt.decode alone: the licenseArn check is the app's", async () => {
		const token = await sign(claimsAt(Date.now(), 60 * 60_000, { licenseArn: OTHER_ARN }));
		// Same deployment, same keys: the signature is good.
		expect(accepted(["--jwks", jwksPath], token)).toMatchObject({ licenseArn: OTHER_ARN });
		expect(refused(["--jwks", jwksPath, "--license-arn", LICENSE_ARN], token)).toMatch(
			/^INVALID WrongLicense/,
		);
		const ours = await sign(claimsAt(Date.now(), 60 * 60_000));
		expect(accepted(["--jwks", jwksPath, "--license-arn", LICENSE_ARN], ours)).toMatchObject({
			licenseArn: LICENSE_ARN,
			sub: LICENSE_ARN,
		});
	});

	it("a kid missing from the JWKS snapshot is refused, not guessed", async () => {
		const stale = join(dir, "stale-jwks.json");
		writeFileSync(
			stale,
			JSON.stringify({
				keys: [{ ...signing.jwksAt(env, MAX_TTL_MS, Date.now()).keys[0], kid: "old-key" }],
			}),
		);
		const token = await sign(claimsAt(Date.now(), 60 * 60_000));
		for (const loader of ["pyjwk", "from_jwk"]) {
			expect(refused(["--jwks", stale, "--loader", loader], token)).toMatch(
				/^INVALID UnknownKid: .*py-key-1/,
			);
		}
	});
});
