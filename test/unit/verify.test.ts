import {
	CompactSign,
	type CryptoKey,
	exportJWK,
	exportSPKI,
	FlattenedSign,
	importJWK,
	type JSONWebKeySet,
} from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
	BorrowTokenConfigError,
	BorrowTokenError,
	type BorrowTokenErrorCode,
	DEFAULT_CLOCK_TOLERANCE_SEC,
	fetchJwks,
	generateSigningKey,
	inspectJwks,
	isBorrowTokenError,
	type VerifyBorrowTokenOptions,
	verifyBorrowToken,
} from "../../src/verify/index";
import {
	claims,
	EXP_SEC,
	ISSUED_AT_MS,
	ISSUER,
	LICENSE_ARN,
	makeKey,
	rawToken,
	sign,
	type TestKey,
} from "../fixtures/verify/tokens";

let key: TestKey;
let attacker: TestKey;
let jwks: JSONWebKeySet;

beforeAll(async () => {
	key = await makeKey("k1");
	attacker = await makeKey("evil");
	jwks = { keys: [key.publicJwk] };
});

afterEach(() => {
	vi.unstubAllGlobals();
});

/** Ten minutes into the one-hour borrow: comfortably valid. */
const DURING = ISSUED_AT_MS + 10 * 60_000;

function opts(extra: Partial<VerifyBorrowTokenOptions> = {}): VerifyBorrowTokenOptions {
	return { keys: jwks, licenseArn: LICENSE_ARN, issuer: ISSUER, now: DURING, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<BorrowTokenError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(BorrowTokenError);
		return error as BorrowTokenError;
	}
	throw new Error("expected the token to be refused");
}

async function expectCode(promise: Promise<unknown>, code: BorrowTokenErrorCode): Promise<void> {
	expect((await failure(promise)).code).toBe(code);
}

describe("valid tokens", () => {
	it("returns exactly the documented claims", async () => {
		const token = await sign(key);
		await expect(verifyBorrowToken(token, opts())).resolves.toEqual(claims());
	});

	it("checks node and entitlements when asked, and accepts now as a Date", async () => {
		const token = await sign(key);
		const result = await verifyBorrowToken(
			token,
			opts({
				now: new Date(DURING),
				nodeId: "node-A",
				entitlements: [
					{ name: "Seats", unit: "Count", minValue: 5 },
					{ name: "Seats", minValue: "4.5" },
					{ name: "Pro", unit: "None" },
					{ name: "Tier" },
				],
			}),
		);
		expect(result.nodeId).toBe("node-A");
		await expect(
			verifyBorrowToken(token, opts({ entitlements: ["Seats", "Pro"] })),
		).resolves.toBeTruthy();
	});

	it("accepts a node-less token when the app does not pin a node, and any issuer when none is pinned", async () => {
		const token = await sign(key, claims({ nodeId: undefined, iss: "other-deployment" }));
		const result = await verifyBorrowToken(token, opts({ issuer: undefined }));
		expect("nodeId" in result).toBe(false);
	});

	it("drops unknown claims and keeps empty metadata", async () => {
		const token = await sign(key, claims({ checkoutMetadata: {}, extra: "x" }));
		const result = await verifyBorrowToken(token, opts());
		expect(result.checkoutMetadata).toEqual({});
		expect("extra" in result).toBe(false);
	});

	it("uses one cache entry per JWKS object, so a refreshed JWKS is honoured", async () => {
		const token = await sign(key);
		await verifyBorrowToken(token, opts());
		await verifyBorrowToken(token, opts());
		// Same kid, different key in a new snapshot: must not reuse the cached import.
		const swapped = { keys: [{ ...attacker.publicJwk, kid: "k1" }] };
		await expectCode(verifyBorrowToken(token, opts({ keys: swapped })), "BAD_SIGNATURE");
	});

	it("uses only the public members of a JWKS entry that wrongly carries the private key", async () => {
		const privateJwk = { ...(await exportJWK(key.privateKey)), kid: "k1", alg: "PS384" };
		await expect(
			verifyBorrowToken(await sign(key), opts({ keys: { keys: [privateJwk] } })),
		).resolves.toBeTruthy();
	});
});

describe("signature and algorithm", () => {
	it("tampered payload → BAD_SIGNATURE", async () => {
		const [h, , s] = (await sign(key)).split(".");
		const forged = rawToken({}, claims({ exp: EXP_SEC + 86_400 * 365 })).split(".")[1];
		await expectCode(verifyBorrowToken(`${h}.${forged}.${s}`, opts()), "BAD_SIGNATURE");
	});

	it("tampered signature → BAD_SIGNATURE", async () => {
		const token = await sign(key);
		const flipped = token.slice(0, -5) + (token.at(-5) === "A" ? "B" : "A") + token.slice(-4);
		await expectCode(verifyBorrowToken(flipped, opts()), "BAD_SIGNATURE");
	});

	it("another key under a known kid → BAD_SIGNATURE", async () => {
		await expectCode(
			verifyBorrowToken(await sign({ ...attacker, kid: "k1" }), opts()),
			"BAD_SIGNATURE",
		);
	});

	it('alg "none" → ALGORITHM_NOT_ALLOWED', async () => {
		const token = rawToken({ alg: "none", typ: "JWT", kid: "k1" }, claims());
		await expectCode(verifyBorrowToken(token, opts()), "ALGORITHM_NOT_ALLOWED");
	});

	it("HS384 keyed with the public key (JWK JSON or PEM) → ALGORITHM_NOT_ALLOWED", async () => {
		const pem = await exportSPKI((await importJWK(key.publicJwk, "PS384")) as CryptoKey);
		for (const secret of [JSON.stringify(key.publicJwk), pem]) {
			const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
				.setProtectedHeader({ alg: "HS384", typ: "JWT", kid: "k1" })
				.sign(new TextEncoder().encode(secret));
			await expectCode(verifyBorrowToken(token, opts()), "ALGORITHM_NOT_ALLOWED");
		}
	});

	it("other RSA algorithms or no alg → ALGORITHM_NOT_ALLOWED", async () => {
		for (const alg of ["RS384", "PS256", "PS512", undefined]) {
			const token = rawToken({ alg, kid: "k1" }, claims(), "c2ln");
			await expectCode(verifyBorrowToken(token, opts()), "ALGORITHM_NOT_ALLOWED");
		}
	});

	it("kid not in the JWKS → UNKNOWN_KID", async () => {
		await expectCode(
			verifyBorrowToken(await sign({ ...key, kid: "k-rotated" }), opts()),
			"UNKNOWN_KID",
		);
	});

	it("kid present only as a non-PS384 key → UNKNOWN_KID", async () => {
		const keys = { keys: [{ ...key.publicJwk, alg: "RS384" }] };
		const error = await failure(verifyBorrowToken(await sign(key), opts({ keys })));
		expect(error.code).toBe("UNKNOWN_KID");
		expect(error.message).toContain("RS384");
	});

	it("a key embedded in the header (jwk/jku/x5u/x5c) is never trusted", async () => {
		const header = { jwk: attacker.publicJwk };
		// Claims the known kid: verified with the JWKS key, so the attacker's signature fails.
		await expectCode(
			verifyBorrowToken(await sign(attacker, claims(), { ...header, kid: "k1" }), opts()),
			"BAD_SIGNATURE",
		);
		// Its own kid: the JWKS does not know it, embedded key or not.
		await expectCode(
			verifyBorrowToken(await sign(attacker, claims(), header), opts()),
			"UNKNOWN_KID",
		);
		const remote = {
			jku: "https://evil.example/jwks.json",
			x5u: "https://evil.example/c.pem",
			x5c: ["AAAA"],
		};
		await expectCode(
			verifyBorrowToken(await sign(attacker, claims(), remote), opts()),
			"UNKNOWN_KID",
		);
	});
});

describe("time", () => {
	const tol = DEFAULT_CLOCK_TOLERANCE_SEC;
	const at = (sec: number) => sec * 1000;

	it("expired → EXPIRED", async () => {
		await expectCode(
			verifyBorrowToken(await sign(key), opts({ now: at(EXP_SEC + 3600) })),
			"EXPIRED",
		);
	});

	it("default tolerance: valid until exp + tolerance, exclusive", async () => {
		const token = await sign(key);
		await expect(
			verifyBorrowToken(token, opts({ now: at(EXP_SEC + tol - 1) })),
		).resolves.toBeTruthy();
		await expectCode(verifyBorrowToken(token, opts({ now: at(EXP_SEC + tol) })), "EXPIRED");
		await expectCode(verifyBorrowToken(token, opts({ now: at(EXP_SEC + tol + 1) })), "EXPIRED");
	});

	it("explicit tolerance (60s, 0s)", async () => {
		const token = await sign(key);
		const t60 = { clockToleranceSec: 60 };
		await expect(
			verifyBorrowToken(token, opts({ ...t60, now: at(EXP_SEC + 59) })),
		).resolves.toBeTruthy();
		await expectCode(verifyBorrowToken(token, opts({ ...t60, now: at(EXP_SEC + 61) })), "EXPIRED");
		const t0 = { clockToleranceSec: 0 };
		await expect(
			verifyBorrowToken(token, opts({ ...t0, now: at(EXP_SEC - 1) })),
		).resolves.toBeTruthy();
		await expectCode(verifyBorrowToken(token, opts({ ...t0, now: at(EXP_SEC) })), "EXPIRED");
	});

	it("issuedAt beyond tolerance in the future (clock wound back) → NOT_YET_VALID", async () => {
		const token = await sign(key);
		await expect(
			verifyBorrowToken(token, opts({ now: ISSUED_AT_MS - at(tol) })),
		).resolves.toBeTruthy();
		await expectCode(
			verifyBorrowToken(token, opts({ now: ISSUED_AT_MS - at(tol + 1) })),
			"NOT_YET_VALID",
		);
	});
});

describe("binding", () => {
	it("different license → WRONG_LICENSE", async () => {
		const other = `${LICENSE_ARN.slice(0, -1)}0`;
		await expectCode(
			verifyBorrowToken(await sign(key), opts({ licenseArn: other })),
			"WRONG_LICENSE",
		);
	});

	it("sub disagreeing with licenseArn → WRONG_LICENSE", async () => {
		const token = await sign(key, claims({ sub: "arn:aws:license-manager::1:license:l-other" }));
		await expectCode(verifyBorrowToken(token, opts()), "WRONG_LICENSE");
	});

	it("wrong issuer → WRONG_ISSUER", async () => {
		await expectCode(
			verifyBorrowToken(await sign(key), opts({ issuer: "another-deployment" })),
			"WRONG_ISSUER",
		);
	});

	it("different node → WRONG_NODE", async () => {
		await expectCode(verifyBorrowToken(await sign(key), opts({ nodeId: "node-B" })), "WRONG_NODE");
	});

	it("app expects a node, token has none → NODE_MISSING", async () => {
		const token = await sign(key, claims({ nodeId: undefined }));
		await expectCode(verifyBorrowToken(token, opts({ nodeId: "node-A" })), "NODE_MISSING");
	});

	it("entitlement not granted, wrong unit, or below minValue → ENTITLEMENT_MISSING", async () => {
		const token = await sign(key);
		for (const entitlements of [
			["Enterprise"],
			[{ name: "Seats", unit: "None" }],
			[{ name: "Seats", minValue: 6 }],
			[{ name: "Pro", minValue: 1 }], // no value at all
			[{ name: "Tier", minValue: 0 }], // not numeric
		]) {
			await expectCode(verifyBorrowToken(token, opts({ entitlements })), "ENTITLEMENT_MISSING");
		}
	});
});

describe("malformed tokens", () => {
	it("not a compact JWS", async () => {
		for (const token of ["", "abc", "a.b", "a.b.c.d.e", "!!!.e30.c2ln"]) {
			await expectCode(verifyBorrowToken(token, opts()), "MALFORMED");
		}
		await expectCode(verifyBorrowToken(42 as unknown as string, opts()), "MALFORMED");
	});

	it("missing kid or JWS extensions", async () => {
		await expectCode(
			verifyBorrowToken(await sign(key, claims(), { kid: undefined }), opts()),
			"MALFORMED",
		);
		// RFC 7797 unencoded payload, validly signed: changes what the signature covers.
		const jws = await new FlattenedSign(new TextEncoder().encode(JSON.stringify(claims())))
			.setProtectedHeader({ alg: "PS384", kid: "k1", b64: false, crit: ["b64"] })
			.sign(key.privateKey);
		const unencoded = `${jws.protected}.${jws.payload}.${jws.signature}`;
		await expectCode(verifyBorrowToken(unencoded, opts()), "MALFORMED");
		const crit = rawToken(
			{ alg: "PS384", kid: "k1", crit: ["x-future"], "x-future": 1 },
			claims(),
			"c2ln",
		);
		await expectCode(verifyBorrowToken(crit, opts()), "MALFORMED");
	});

	it("signed payload that is not a JSON object", async () => {
		for (const body of ["hello", "[]", "null"]) {
			const token = await new CompactSign(new TextEncoder().encode(body))
				.setProtectedHeader({ alg: "PS384", kid: "k1" })
				.sign(key.privateKey);
			await expectCode(verifyBorrowToken(token, opts()), "MALFORMED");
		}
	});

	it("missing or wrongly typed claims", async () => {
		const bad: Record<string, unknown>[] = [
			{ licenseConsumptionToken: undefined },
			{ licenseArn: 7 },
			{ jti: undefined },
			{ exp: String(EXP_SEC) },
			{ exp: EXP_SEC + 1 }, // disagrees with expiration
			{ expiration: "2026-11-26T09:00:00+00:00" },
			{ issuedAt: "2026-02-30T08:00:00Z" },
			{ issuedAt: "2026-11-26T10:00:00Z" }, // after expiration
			{ entitlementsAllowed: { name: "Seats" } },
			{ entitlementsAllowed: [{ name: "Seats", value: 5, unit: "Count" }] },
			{ entitlementsAllowed: [{ name: "Seats" }] },
			{ checkoutMetadata: undefined },
			{ checkoutMetadata: { n: 1 } },
			{ nodeId: 5 },
		];
		for (const override of bad) {
			const error = await failure(verifyBorrowToken(await sign(key, claims(override)), opts()));
			expect([error.code, override]).toEqual(["MALFORMED", override]);
		}
	});
});

describe("configuration errors", () => {
	it("licenseArn is required", async () => {
		const token = await sign(key);
		const missing = { keys: jwks } as unknown as VerifyBorrowTokenOptions;
		await expect(verifyBorrowToken(token, missing)).rejects.toThrow(BorrowTokenConfigError);
		await expect(verifyBorrowToken(token, missing)).rejects.toThrow(TypeError);
		await expect(verifyBorrowToken(token, opts({ licenseArn: "" }))).rejects.toThrow(/licenseArn/);
	});

	it("bad JWKS, options, or an unusable key for the token's kid", async () => {
		const token = await sign(key);
		const bad = [
			opts({ keys: {} as JSONWebKeySet }),
			opts({ now: Number.NaN }),
			opts({ clockToleranceSec: -1 }),
			opts({ entitlements: [{ name: "Seats", minValue: "lots" }] }),
			// A 1024-bit modulus under the token's kid.
			opts({ keys: { keys: [{ kty: "RSA", kid: "k1", n: `w${"A".repeat(170)}`, e: "AQAB" }] } }),
		];
		for (const o of bad)
			await expect(verifyBorrowToken(token, o)).rejects.toThrow(BorrowTokenConfigError);
	});
});

describe("helpers", () => {
	it("isBorrowTokenError recognises the error by shape too", async () => {
		const error = await failure(verifyBorrowToken("x", opts()));
		expect(isBorrowTokenError(error)).toBe(true);
		expect(isBorrowTokenError({ name: "BorrowTokenError", code: "EXPIRED" })).toBe(true);
		expect(isBorrowTokenError(new Error("x"))).toBe(false);
	});

	it("generateSigningKey makes a key the verifier accepts", async () => {
		const gen = await generateSigningKey({
			kid: "k-gen",
			bits: 2048,
			activeFrom: new Date(ISSUED_AT_MS),
		});
		expect(gen.signingKeysEntry).toEqual({ kid: "k-gen", activeFrom: "2026-11-26T08:00:00Z" });
		expect(gen.privateJwk).toMatchObject({ kty: "RSA", kid: "k-gen", alg: "PS384" });
		expect(typeof gen.privateJwk.d).toBe("string");
		expect(gen.publicJwk).toEqual({
			kty: "RSA",
			kid: "k-gen",
			alg: "PS384",
			use: "sig",
			n: gen.privateJwk.n,
			e: "AQAB",
		});
		const privateKey = await importJWK(gen.privateJwk, "PS384");
		if (privateKey instanceof Uint8Array) throw new Error("unexpected secret");
		const token = await sign({ kid: gen.kid, privateKey, publicJwk: gen.publicJwk });
		await expect(
			verifyBorrowToken(token, opts({ keys: { keys: [gen.publicJwk] } })),
		).resolves.toBeTruthy();
		await expect(generateSigningKey({ kid: "../etc" })).rejects.toThrow(TypeError);
	});

	it("inspectJwks explains each entry", async () => {
		const privateJwk = { ...(await exportJWK(key.privateKey)), kid: "k-priv", alg: "PS384" };
		const report = inspectJwks({
			keys: [
				key.publicJwk,
				{ ...key.publicJwk, kid: "k-rs", alg: "RS256" },
				privateJwk,
				{ kty: "EC", kid: "k-ec" },
			],
		});
		expect(report).toEqual([
			{ kid: "k1", usable: true, bits: 2048, hasPrivateMembers: false },
			{
				kid: "k-rs",
				usable: false,
				reason: 'alg is "RS256", not "PS384"',
				hasPrivateMembers: false,
			},
			{ kid: "k-priv", usable: true, bits: 2048, hasPrivateMembers: true },
			{ kid: "k-ec", usable: false, reason: 'kty is "EC", not "RSA"', hasPrivateMembers: false },
		]);
	});

	it("fetchJwks returns the parsed JWKS and rejects HTTP errors", async () => {
		const fetchMock = vi.fn(async (_url: unknown, _init?: unknown) => Response.json(jwks));
		vi.stubGlobal("fetch", fetchMock);
		await expect(fetchJwks("https://elm.example/.well-known/jwks.json")).resolves.toEqual(jwks);
		fetchMock.mockImplementationOnce(async () => new Response("nope", { status: 503 }));
		await expect(fetchJwks("https://elm.example/.well-known/jwks.json")).rejects.toThrow(/503/);
		fetchMock.mockImplementationOnce(async () => Response.json({ keys: "x" }));
		await expect(fetchJwks("https://elm.example/.well-known/jwks.json")).rejects.toThrow(
			BorrowTokenConfigError,
		);
	});
});
