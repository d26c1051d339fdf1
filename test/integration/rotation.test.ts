/**
 * Signing-key rotation (SPEC §5) on the injected clock, and the two public-key
 * endpoints. The test env has a single key (test-key-1, vitest.config.ts), so the
 * rotation runs against hand-built env objects holding two keys generated here,
 * through the same pure functions the Worker uses (src/signing/keys.ts, token.ts);
 * tokens are checked with the shipped offline verifier (packages/verify).
 * A redeploy with a changed SIGNING_KEYS var is modelled as a new env object,
 * which is what the Worker sees (schedules are cached per env object).
 */

import { env } from "cloudflare:workers";
import {
	CheckoutBorrowLicenseCommand,
	CreateLicenseCommand,
} from "@aws-sdk/client-license-manager";
import {
	decodeProtectedHeader,
	exportSPKI,
	importJWK,
	importSPKI,
	type JSONWebKeySet,
	jwtVerify,
} from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
	BorrowTokenError,
	type BorrowTokenErrorCode,
	verifyBorrowToken,
} from "../../packages/verify/src/index";
import { borrowIdOf } from "../../src/borrowId";
import { clock, setClockOffsetForTests } from "../../src/clock";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import {
	jwksAt,
	publishedKeysAt,
	SigningConfigError,
	scheduledKeys,
	signingKeyAt,
} from "../../src/signing/keys";
import { type BorrowClaims, signBorrowToken } from "../../src/signing/token";
import { licenseInput, uniqueToken } from "../helpers/fixtures";
import { sdkClient } from "../helpers/sdk";
import { workerFetch } from "../helpers/wire";

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
/** The deployment's maximum borrow TTL (MAX_TTL_MINUTES, 30 days by default), as the routes use it. */
const MAX_TTL = loadConfig(env).maxTtlMinutes * 60_000;

const T = Date.parse("2031-03-01T00:00:00Z");
/** Key 2's activeFrom and, after the second deploy, key 1's retiredAt. */
const ROTATE = T + 10 * DAY;
/** The first instant key 1 must no longer be published. */
const KEY1_GONE = ROTATE + MAX_TTL;

const ISSUER = "elm-rotation-test";
const LICENSE_ARN =
	"arn:aws:license-manager::111122223333:license:l-0123456789abcdef0123456789abcdef";

function iso(ms: number): string {
	return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Moves the injected clock (shared with the Worker) to `ms`; returns `ms`. */
function moveClockTo(ms: number): number {
	setClockOffsetForTests(ms - Date.now());
	return ms;
}

/** The claims CheckoutBorrowLicense signs, for a checkout at `issuedMs` lasting `ttlMs`. */
function claimsAt(issuedMs: number, ttlMs: number, jti: string): BorrowClaims {
	const checkoutMetadata: Record<string, string> = Object.create(null);
	return {
		licenseArn: LICENSE_ARN,
		licenseConsumptionToken: jti,
		entitlementsAllowed: [{ name: "Seats", value: "1", unit: "Count" }],
		issuedAt: iso(issuedMs),
		expiration: iso(issuedMs + ttlMs),
		checkoutMetadata,
		iss: ISSUER,
		sub: LICENSE_ARN,
		exp: (issuedMs + ttlMs) / 1000,
		jti,
	};
}

async function rsaPrivateJwk(): Promise<JsonWebKey> {
	// RSA-2048 keeps key generation fast; the schedule does not care about the size.
	const pair = (await crypto.subtle.generateKey(
		{
			name: "RSA-PSS",
			modulusLength: 2048,
			publicExponent: new Uint8Array([1, 0, 1]),
			hash: "SHA-384",
		},
		true,
		["sign", "verify"],
	)) as CryptoKeyPair;
	return (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
}

function floorSecond(ms: number): number {
	return Math.floor(ms / 1000) * 1000;
}

function kidOf(token: string): string | undefined {
	return decodeProtectedHeader(token).kid;
}

function kids(jwks: { keys: Array<{ kid: string }> }): string[] {
	return jwks.keys.map((k) => k.kid);
}

function verify(token: string, keys: JSONWebKeySet, now: number, clockToleranceSec = 0) {
	return verifyBorrowToken(token, {
		keys,
		licenseArn: LICENSE_ARN,
		issuer: ISSUER,
		now,
		clockToleranceSec,
	});
}

async function refusal(promise: Promise<unknown>): Promise<BorrowTokenErrorCode> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(BorrowTokenError);
		return (error as BorrowTokenError).code;
	}
	throw new Error("expected the token to be refused");
}

/** Exactly the public members, with the algorithm PyJWT needs, and the key's window (SPEC §5). */
function expectPublicOnly(jwks: { keys: object[] }): void {
	expect(jwks.keys.length).toBeGreaterThan(0);
	for (const key of jwks.keys) {
		const window = "retiredAt" in key ? ["activeFrom", "retiredAt"] : ["activeFrom"];
		expect(Object.keys(key).sort()).toEqual(
			["alg", "e", "kid", "kty", "n", "use", ...window].sort(),
		);
		expect(key).toMatchObject({ kty: "RSA", alg: "PS384", use: "sig" });
	}
	expect(JSON.stringify(jwks)).not.toMatch(/"(d|p|q|dp|dq|qi|oth|k|key_ops|ext)"/);
}

describe("signing-key rotation", () => {
	/** Deploy 1: key 2 scheduled 10 days ahead, key 1 not yet retired. */
	let announced: Env;
	/** Deploy 2: key 1 gets retiredAt = key 2's activeFrom. */
	let rotated: Env;

	beforeAll(async () => {
		const [jwk1, jwk2] = await Promise.all([rsaPrivateJwk(), rsaPrivateJwk()]);
		const SIGNING_PRIVATE_KEYS = JSON.stringify({ "rot-1": jwk1, "rot-2": jwk2 });
		const key1 = { kid: "rot-1", activeFrom: iso(T - DAY) };
		const key2 = { kid: "rot-2", activeFrom: iso(ROTATE) };
		announced = {
			SIGNING_KEYS: JSON.stringify([key1, key2]),
			SIGNING_PRIVATE_KEYS,
		} as Env;
		rotated = {
			SIGNING_KEYS: JSON.stringify([{ ...key1, retiredAt: iso(ROTATE) }, key2]),
			SIGNING_PRIVATE_KEYS,
		} as Env;
	});

	it("publishes the next key before it signs, switches at activeFrom, drops the old key after retiredAt + max TTL", async () => {
		// T: key 1 signs; key 2 is already in the JWKS, so apps can pick it up early.
		moveClockTo(T);
		const jwksAtT = jwksAt(announced, MAX_TTL); // the route's call: the injected clock
		expect(kids(jwksAtT)).toEqual(["rot-1", "rot-2"]);
		const tokenA = await signBorrowToken(announced, claimsAt(T, MAX_TTL, "token-a"), clock.now());
		expect(decodeProtectedHeader(tokenA)).toEqual({ alg: "PS384", typ: "JWT", kid: "rot-1" });
		// An app that snapshotted the JWKS at T will verify tokens of either key.
		await expect(verify(tokenA, jwksAtT, T + HOUR)).resolves.toMatchObject({ jti: "token-a" });

		// Up to the last millisecond before activeFrom, key 1 still signs.
		expect(signingKeyAt(scheduledKeys(announced), ROTATE - 1).kid).toBe("rot-1");

		// T+10d: key 2 is active (the newest active key wins, retiredAt or not).
		moveClockTo(ROTATE);
		expect(signingKeyAt(scheduledKeys(announced), ROTATE).kid).toBe("rot-2");
		expect(signingKeyAt(scheduledKeys(rotated), ROTATE).kid).toBe("rot-2");
		const tokenB = await signBorrowToken(
			rotated,
			claimsAt(ROTATE, MAX_TTL, "token-b"),
			clock.now(),
		);
		expect(kidOf(tokenB)).toBe("rot-2");

		// T+10d+1h: both keys published; tokens of both verify.
		moveClockTo(ROTATE + HOUR);
		const jwksAfter = jwksAt(rotated, MAX_TTL);
		expect(kids(jwksAfter)).toEqual(["rot-1", "rot-2"]);
		await expect(verify(tokenA, jwksAfter, clock.now())).resolves.toMatchObject({
			jti: "token-a",
			licenseArn: LICENSE_ARN,
		});
		await expect(verify(tokenB, jwksAfter, clock.now())).resolves.toMatchObject({
			jti: "token-b",
			licenseArn: LICENSE_ARN,
		});
		// An app still holding the snapshot from T (before key 2 signed) verifies B too.
		await expect(verify(tokenB, jwksAtT, clock.now())).resolves.toMatchObject({ jti: "token-b" });

		// retiredAt + max TTL + 1 s: key 1 is gone, key 2 stays.
		const after = moveClockTo(KEY1_GONE + SECOND);
		const jwksLate = jwksAt(rotated, MAX_TTL);
		expect(kids(jwksLate)).toEqual(["rot-2"]);
		expect(await refusal(verify(tokenA, jwksLate, after))).toBe("UNKNOWN_KID");
		// Not an expiry effect: even at an instant inside A's lifetime, this JWKS cannot verify it.
		expect(await refusal(verify(tokenA, jwksLate, T + HOUR))).toBe("UNKNOWN_KID");
		await expect(verify(tokenB, jwksLate, ROTATE + HOUR)).resolves.toMatchObject({
			jti: "token-b",
		});
		// B was a max-TTL borrow taken at retiredAt: it expired 1 s ago, and only the default
		// 300 s skew tolerance still honours it. Its key is known either way.
		expect(await refusal(verify(tokenB, jwksLate, after))).toBe("EXPIRED");
		await expect(verify(tokenB, jwksLate, after, 300)).resolves.toMatchObject({ jti: "token-b" });
		const tokenC = await signBorrowToken(rotated, claimsAt(after, HOUR, "token-c"), clock.now());
		expect(kidOf(tokenC)).toBe("rot-2");
		await expect(verify(tokenC, jwksLate, after)).resolves.toMatchObject({ jti: "token-c" });
	});

	it("keeps a retired key published exactly as long as its last token can live", async () => {
		// The last token key 1 can sign: at retiredAt - 1 s, with the maximum TTL.
		const signedAt = ROTATE - SECOND;
		const last = await signBorrowToken(
			announced,
			claimsAt(signedAt, MAX_TTL, "last-of-key-1"),
			signedAt,
		);
		expect(kidOf(last)).toBe("rot-1");
		const lastValid = signedAt + MAX_TTL - SECOND;
		await expect(
			verify(last, jwksAt(rotated, MAX_TTL, lastValid), lastValid),
		).resolves.toMatchObject({ jti: "last-of-key-1" });

		const published = (now: number) =>
			publishedKeysAt(scheduledKeys(rotated), now, MAX_TTL).map((k) => k.kid);
		expect(published(KEY1_GONE - 1)).toEqual(["rot-1", "rot-2"]);
		expect(published(KEY1_GONE)).toEqual(["rot-2"]);
		// A key is published from the first deploy that names it, long before activeFrom.
		expect(published(T - 30 * DAY)).toEqual(["rot-1", "rot-2"]);
	});

	it("refuses to sign when no key is active yet", () => {
		expect(() => signingKeyAt(scheduledKeys(announced), T - 2 * DAY)).toThrow(SigningConfigError);
	});

	it("publishes only public members, with alg PS384 and use sig", () => {
		expectPublicOnly(jwksAt(announced, MAX_TTL, T));
		expectPublicOnly(jwksAt(rotated, MAX_TTL, ROTATE + HOUR));
	});

	it("each JWK carries its window: activeFrom, and retiredAt once the schedule sets it", () => {
		expect(jwksAt(announced, MAX_TTL, T).keys).toEqual([
			expect.objectContaining({ kid: "rot-1", activeFrom: iso(T - DAY) }),
			expect.objectContaining({ kid: "rot-2", activeFrom: iso(ROTATE) }),
		]);
		expect(jwksAt(announced, MAX_TTL, T).keys.some((k) => "retiredAt" in k)).toBe(false);
		const [key1, key2] = jwksAt(rotated, MAX_TTL, ROTATE + HOUR).keys;
		expect(key1).toMatchObject({ kid: "rot-1", activeFrom: iso(T - DAY), retiredAt: iso(ROTATE) });
		expect(key2).toMatchObject({ kid: "rot-2", activeFrom: iso(ROTATE) });
		expect(key2 && "retiredAt" in key2).toBe(false);
	});

	it("the shipped verifier refuses a token its key signed outside the key's window (KEY_NOT_ACTIVE)", async () => {
		const jwks = jwksAt(rotated, MAX_TTL, ROTATE + HOUR);
		// A stale deployment that never heard of key 2 keeps signing with key 1 after
		// its retiredAt: a JWKS that knows the retirement refuses those tokens.
		const stale = {
			SIGNING_KEYS: JSON.stringify([{ kid: "rot-1", activeFrom: iso(T - DAY) }]),
			SIGNING_PRIVATE_KEYS: rotated.SIGNING_PRIVATE_KEYS,
		} as Env;
		const late = ROTATE + HOUR;
		const afterRetirement = await signBorrowToken(stale, claimsAt(late, HOUR, "late"), late);
		expect(kidOf(afterRetirement)).toBe("rot-1");
		expect(await refusal(verify(afterRetirement, jwks, late + SECOND, 300))).toBe("KEY_NOT_ACTIVE");
		// One second before retiredAt is inside the window.
		const lastSecond = ROTATE - SECOND;
		const inside = await signBorrowToken(stale, claimsAt(lastSecond, HOUR, "in"), lastSecond);
		await expect(verify(inside, jwks, lastSecond)).resolves.toMatchObject({ jti: "in" });

		// A deployment that activated key 2 early: its tokens from before activeFrom are refused.
		const early = {
			SIGNING_KEYS: JSON.stringify([{ kid: "rot-2", activeFrom: iso(T - DAY) }]),
			SIGNING_PRIVATE_KEYS: rotated.SIGNING_PRIVATE_KEYS,
		} as Env;
		const beforeActive = await signBorrowToken(early, claimsAt(T, HOUR, "early"), T);
		expect(kidOf(beforeActive)).toBe("rot-2");
		expect(await refusal(verify(beforeActive, jwks, T + SECOND, 300))).toBe("KEY_NOT_ACTIVE");

		// What the service itself signs across the switch is always inside the window,
		// also when a checkout lands in the middle of a second (issuedAt is rounded down).
		for (const at of [ROTATE - 1, ROTATE, ROTATE + 1, ROTATE + 999]) {
			const token = await signBorrowToken(rotated, claimsAt(floorSecond(at), HOUR, `at-${at}`), at);
			await expect(verify(token, jwks, at), String(at)).resolves.toMatchObject({ jti: `at-${at}` });
		}
	});
});

describe("GET /.well-known/jwks.json and GET /keys/<kid>.pem (deployed env)", () => {
	it("the JWKS route serves the configured key, public members only", async () => {
		const res = await workerFetch("http://x/.well-known/jwks.json");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^application\/json/);
		const jwks = (await res.json()) as { keys: Array<{ kid: string }> };
		expect(kids(jwks)).toEqual(["test-key-1"]);
		expectPublicOnly(jwks);
	});

	it("the PEM imports as SPKI, is the JWKS key, and verifies a real CheckoutBorrowLicense token", async () => {
		const client = sdkClient();
		const created = await client.send(new CreateLicenseCommand(licenseInput()));
		const arn = created.LicenseArn as string;
		const out = await client.send(
			new CheckoutBorrowLicenseCommand({
				LicenseArn: arn,
				ClientToken: uniqueToken(),
				DigitalSignatureMethod: "JWT_PS384",
				Entitlements: [{ Name: "Seats", Unit: "Count", Value: "1" }],
				NodeId: "laptop-7",
			}),
		);
		const token = out.SignedToken as string;
		expect(kidOf(token)).toBe("test-key-1");

		const res = await workerFetch("http://x/keys/test-key-1.pem");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("application/x-pem-file; charset=us-ascii");
		// Decoded by hand: workerd warns on .text() of a non-text/* body.
		const pem = new TextDecoder().decode(await res.arrayBuffer());
		expect(pem).toMatch(
			/^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END PUBLIC KEY-----\n$/,
		);

		const key = await importSPKI(pem, "PS384");
		const { payload, protectedHeader } = await jwtVerify(token, key, {
			algorithms: ["PS384"],
			issuer: env.ISSUER_ID,
			subject: arn,
		});
		expect(protectedHeader).toEqual({ alg: "PS384", typ: "JWT", kid: "test-key-1" });
		expect(payload).toMatchObject({
			licenseArn: arn,
			nodeId: "laptop-7",
			jti: borrowIdOf(out.LicenseConsumptionToken as string),
		});

		// Same key as the JWKS entry.
		const jwks = (await (
			await workerFetch("http://x/.well-known/jwks.json")
		).json()) as JSONWebKeySet;
		const fromJwks = await exportSPKI(
			(await importJWK(jwks.keys[0] as JsonWebKey, "PS384", { extractable: true })) as CryptoKey,
		);
		const body = (p: string) => p.replace(/-----[A-Z ]+-----|\s/g, "");
		expect(body(pem)).toBe(body(fromJwks));
		// And the shipped verifier agrees, against the live JWKS.
		await expect(
			verifyBorrowToken(token, { keys: jwks, licenseArn: arn, nodeId: "laptop-7" }),
		).resolves.toMatchObject({ licenseArn: arn });
	});

	it("unknown kid, or a path that is not <kid>.pem: 404", async () => {
		for (const path of [
			"/keys/no-such-kid.pem",
			"/keys/test-key-1",
			"/keys/test-key-1.jwk",
			"/keys/.pem",
		]) {
			const res = await workerFetch(`http://x${path}`);
			expect(res.status, path).toBe(404);
			await res.arrayBuffer();
		}
	});
});
