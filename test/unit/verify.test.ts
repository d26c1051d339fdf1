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
	BORROW_TOKEN_ERROR_CODES,
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
} from "../../packages/verify/src/index";
import { cachedKids, KEY_CACHE_LIMIT } from "../../packages/verify/src/keys";
import { SHOWN_CHARS } from "../../packages/verify/src/show";
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

	it("inspectJwks refuses a key whose window members are not ISO-8601 UTC, or empty", () => {
		const entries: object[] = [
			{ ...key.publicJwk, kid: "w-ok", activeFrom: "2026-01-01T00:00:00Z" },
			{ ...key.publicJwk, kid: "w-bad", activeFrom: "yesterday" },
			{
				...key.publicJwk,
				kid: "w-empty",
				activeFrom: "2026-01-02T00:00:00Z",
				retiredAt: "2026-01-01T00:00:00Z",
			},
		];
		const report = inspectJwks({ keys: entries } as JSONWebKeySet);
		expect(report.map((r) => [r.kid, r.usable, r.reason])).toEqual([
			["w-ok", true, undefined],
			["w-bad", false, '"activeFrom" is not an ISO-8601 UTC timestamp'],
			["w-empty", false, '"retiredAt" is not after "activeFrom"'],
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

describe("fetchJwks: HTTPS only, no redirects", () => {
	function stubFetch(respond: () => Response = () => Response.json(jwks)) {
		const fetchMock = vi.fn(async (_url: unknown, _init?: RequestInit) => respond());
		vi.stubGlobal("fetch", fetchMock);
		return fetchMock;
	}

	it("refuses plain http:// (and other schemes) before any request", async () => {
		const fetchMock = stubFetch();
		for (const url of [
			"http://elm.example/.well-known/jwks.json",
			"http://localhost:8787/.well-known/jwks.json", // localhost too, unless opted in
			"ftp://elm.example/jwks.json",
			"file:///etc/jwks.json",
			"/relative/jwks.json",
		]) {
			await expect(fetchJwks(url), url).rejects.toThrow(BorrowTokenConfigError);
		}
		await expect(fetchJwks("http://elm.example/jwks.json")).rejects.toThrow(
			/refusing to fetch the JWKS over plain http:\/\/.*allowInsecureLocalhost: true/,
		);
		expect(fetchMock).not.toHaveBeenCalled();
	});

	it("allowInsecureLocalhost allows http:// to localhost, 127.0.0.0/8 and [::1] only", async () => {
		const fetchMock = stubFetch();
		const opt = { allowInsecureLocalhost: true };
		for (const url of [
			"http://localhost:8787/.well-known/jwks.json",
			"http://LOCALHOST/jwks.json",
			"http://127.0.0.1:8787/jwks.json",
			"http://127.8.9.10/jwks.json",
			"http://127.1/jwks.json", // the URL parser's 127.0.0.1
			"http://[::1]:8787/jwks.json",
			"https://elm.example/jwks.json", // https needs no opt-in
		]) {
			await expect(fetchJwks(url, undefined, opt), url).resolves.toEqual(jwks);
		}
		for (const url of [
			"http://elm.example/jwks.json",
			"http://localhost.elm.example/jwks.json",
			"http://128.0.0.1/jwks.json",
			"http://10.0.0.1/jwks.json",
			"http://[::2]/jwks.json",
			"http://[::ffff:127.0.0.1]/jwks.json",
		]) {
			await expect(fetchJwks(url, undefined, opt), url).rejects.toThrow(
				/allowInsecureLocalhost allows http:\/\/ to localhost, 127\.0\.0\.0\/8 and \[::1\] only/,
			);
		}
		expect(fetchMock).toHaveBeenCalledTimes(7);
	});

	it("never follows a redirect, whatever init says, and names where it pointed", async () => {
		const fetchMock = stubFetch(
			() => new Response(null, { status: 302, headers: { Location: "http://evil.example/j" } }),
		);
		const url = "https://elm.example/.well-known/jwks.json";
		await expect(fetchJwks(url, { redirect: "follow" })).rejects.toThrow(
			'GET https://elm.example/.well-known/jwks.json answered with a redirect (HTTP 302 to "http://evil.example/j"); redirects are not followed: configure the final https:// URL',
		);
		expect(fetchMock.mock.calls[0]?.[1]?.redirect).toBe("manual");
		for (const status of [301, 303, 307, 308]) {
			fetchMock.mockImplementationOnce(async () => new Response(null, { status }));
			await expect(fetchJwks(url)).rejects.toThrow(`(HTTP ${status}); redirects are not followed`);
		}
	});
});

describe("the per-JWKS key cache is bounded", () => {
	it("tokens with made-up kids are refused without growing the cache", async () => {
		const snapshot: JSONWebKeySet = { keys: [key.publicJwk] };
		await verifyBorrowToken(await sign(key), opts({ keys: snapshot }));
		const [header, payload] = (await sign(key)).split(".");
		for (let i = 0; i < 10_000; i++) {
			const forged = rawToken({ alg: "PS384", typ: "JWT", kid: `made-up-${i}` }, {}, "c2ln");
			const error = await failure(verifyBorrowToken(forged, opts({ keys: snapshot })));
			if (error.code !== "UNKNOWN_KID") throw new Error(`kid ${i}: ${error.code}`);
		}
		expect(cachedKids(snapshot)).toEqual(["k1"]);
		expect(`${header}.${payload}`).toBeTruthy();
		await expect(
			verifyBorrowToken(await sign(key), opts({ keys: snapshot })),
		).resolves.toBeTruthy();
	});

	it(`keeps at most ${KEY_CACHE_LIMIT} kids per JWKS, least recently used evicted first`, async () => {
		// One RSA key published under many kids: as many cache entries as a huge JWKS would make.
		const kids = Array.from({ length: KEY_CACHE_LIMIT * 3 }, (_, i) => `many-${i}`);
		const snapshot: JSONWebKeySet = { keys: kids.map((kid) => ({ ...key.publicJwk, kid })) };
		const hot = "many-0";
		for (const [i, kid] of kids.entries()) {
			await verifyBorrowToken(await sign({ ...key, kid }), opts({ keys: snapshot }));
			// The app's current key is used all the time: it must never be the one evicted.
			if (i % 5 === 0) {
				await verifyBorrowToken(await sign({ ...key, kid: hot }), opts({ keys: snapshot }));
			}
			expect(cachedKids(snapshot).length).toBeLessThanOrEqual(KEY_CACHE_LIMIT);
		}
		const cached = cachedKids(snapshot);
		expect(cached).toHaveLength(KEY_CACHE_LIMIT);
		expect(cached).toContain(hot);
		expect(cached).toContain(kids.at(-1));
		expect(cached).not.toContain("many-1");
		// Evicted kids are re-imported on demand and still verify.
		await expect(
			verifyBorrowToken(await sign({ ...key, kid: "many-1" }), opts({ keys: snapshot })),
		).resolves.toBeTruthy();
		expect(cachedKids(snapshot).at(-1)).toBe("many-1");
		expect(cachedKids(snapshot)).toHaveLength(KEY_CACHE_LIMIT);
	});
});

/** A C0 or C1 control, DEL, or the right-to-left override. */
function hasControl(text: string): boolean {
	return [...text].some((c) => {
		const n = c.codePointAt(0) ?? 0;
		return n < 0x20 || (n >= 0x7f && n <= 0x9f) || n === 0x202e;
	});
}

describe("token-provided strings in messages are clipped and escaped", () => {
	const HUGE = 5 * 1024 * 1024;
	/** Generous: the message's own words plus one clipped value or two. */
	const SHORT = 3 * SHOWN_CHARS + 300;

	it("a 5 MB alg and a 5 MB kid give short messages", async () => {
		const alg = rawToken({ alg: "A".repeat(HUGE), typ: "JWT", kid: "k1" }, claims(), "c2ln");
		const algError = await failure(verifyBorrowToken(alg, opts()));
		expect(algError.code).toBe("ALGORITHM_NOT_ALLOWED");
		expect(algError.message.length).toBeLessThan(SHORT);
		expect(algError.message).toContain(`(${HUGE} characters)`);

		const algObject = rawToken({ alg: { x: "A".repeat(HUGE) }, kid: "k1" }, claims(), "c2ln");
		const objectError = await failure(verifyBorrowToken(algObject, opts()));
		expect(objectError.code).toBe("ALGORITHM_NOT_ALLOWED");
		expect(objectError.message.length).toBeLessThan(SHORT);

		const kid = await sign({ ...key, kid: "K".repeat(HUGE) });
		const kidError = await failure(verifyBorrowToken(kid, opts()));
		expect(kidError.code).toBe("UNKNOWN_KID");
		expect(kidError.message.length).toBeLessThan(SHORT);
		// The JWKS's kids are listed, up to ten.
		const many = {
			keys: Array.from({ length: 50 }, (_, i) => ({ ...key.publicJwk, kid: `k-${i}` })),
		};
		const listed = await failure(verifyBorrowToken(kid, opts({ keys: many })));
		expect(listed.message).toContain(", and 40 more");
		expect(listed.message.length).toBeLessThan(SHORT);
	});

	it("huge claim values in signed tokens give short messages", async () => {
		const big = "v".repeat(HUGE);
		const cases: [
			Record<string, unknown>,
			Partial<VerifyBorrowTokenOptions>,
			BorrowTokenErrorCode,
		][] = [
			[{ nodeId: big }, { nodeId: "node-A" }, "WRONG_NODE"],
			[{ iss: big }, {}, "WRONG_ISSUER"],
			[{ licenseArn: big }, {}, "WRONG_LICENSE"],
			[{ issuedAt: big }, {}, "MALFORMED"],
			[{ expiration: big }, {}, "MALFORMED"],
			[{ checkoutMetadata: { [big]: 1 } }, {}, "MALFORMED"],
			[
				{ entitlementsAllowed: [{ name: "Seats", unit: big }] },
				{ entitlements: [{ name: "Seats", unit: "Count" }] },
				"ENTITLEMENT_MISSING",
			],
			[
				// Many grants under one name: the message lists a few, not all.
				{
					entitlementsAllowed: Array.from({ length: 10_000 }, (_, i) => ({
						name: "Seats",
						unit: `Unit${i}`,
					})),
				},
				{ entitlements: [{ name: "Seats", unit: "Count" }] },
				"ENTITLEMENT_MISSING",
			],
		];
		for (const [override, extra, code] of cases) {
			const error = await failure(
				verifyBorrowToken(await sign(key, claims(override)), opts(extra)),
			);
			expect([Object.keys(override), error.code]).toEqual([Object.keys(override), code]);
			expect(error.message.length, Object.keys(override)[0]).toBeLessThan(SHORT);
		}
	});

	it("control characters from the token are escaped in messages", async () => {
		const nasty = "node\u001b[31mRED\u0085\u009b2J\u202eevil\nnext";
		const token = await sign(key, claims({ nodeId: nasty, iss: nasty }));
		for (const extra of [{ nodeId: "node-A" }, { issuer: ISSUER }]) {
			const { message } = await failure(verifyBorrowToken(token, opts(extra)));
			expect(hasControl(message), message).toBe(false);
			expect(message).toContain("node\\u001b[31mRED\\u0085\\u009b2J\\u202eevil\\nnext");
		}
		const alg = rawToken({ alg: "\u001b]0;pwned\u0007", kid: "k1" }, claims(), "c2ln");
		expect(hasControl((await failure(verifyBorrowToken(alg, opts()))).message)).toBe(false);
	});
});

describe("the key's window (SPEC §5): KEY_NOT_ACTIVE", () => {
	const SECOND = 1000;
	const iso = (ms: number) => new Date(ms).toISOString();
	/** The fixture token was issued at ISSUED_AT_MS; a fresh JWKS object per call. */
	function windowed(activeFrom?: number | string, retiredAt?: number | string): JSONWebKeySet {
		const at = (v: number | string | undefined) => (typeof v === "number" ? iso(v) : v);
		return {
			keys: [
				{
					...key.publicJwk,
					...(activeFrom === undefined ? {} : { activeFrom: at(activeFrom) }),
					...(retiredAt === undefined ? {} : { retiredAt: at(retiredAt) }),
				},
			],
		};
	}

	it("accepts a token issued inside [activeFrom, retiredAt), and a JWK without the members", async () => {
		const token = await sign(key);
		for (const keys of [
			windowed(),
			windowed(ISSUED_AT_MS),
			windowed(ISSUED_AT_MS - 3600 * SECOND, ISSUED_AT_MS + SECOND),
			windowed(undefined, ISSUED_AT_MS + 1),
			// The service writes issuedAt in whole seconds, rounded down: a key active from
			// the middle of that second signed it.
			windowed(ISSUED_AT_MS + 500),
			windowed("2026-11-26T08:00:00.999Z"),
		]) {
			await expect(
				verifyBorrowToken(token, opts({ keys })),
				JSON.stringify(keys.keys[0]),
			).resolves.toBeTruthy();
		}
	});

	it("refuses a token issued before activeFrom or at/after retiredAt, tolerance or not", async () => {
		const token = await sign(key);
		const cases: [JSONWebKeySet, RegExp][] = [
			[
				windowed(ISSUED_AT_MS + SECOND),
				/before its key "k1" became active \(activeFrom 2026-11-26T08:00:01\.000Z\)/,
			],
			[windowed(ISSUED_AT_MS + 3600 * SECOND), /before its key "k1" became active/],
			[
				windowed(ISSUED_AT_MS - 3600 * SECOND, ISSUED_AT_MS),
				/after its key "k1" was retired \(retiredAt 2026-11-26T08:00:00\.000Z\)/,
			],
			[windowed(undefined, ISSUED_AT_MS - SECOND), /after its key "k1" was retired/],
		];
		for (const [keys, message] of cases) {
			for (const clockToleranceSec of [0, DEFAULT_CLOCK_TOLERANCE_SEC, 86_400]) {
				const error = await failure(verifyBorrowToken(token, opts({ keys, clockToleranceSec })));
				expect([error.code, error.message]).toEqual([
					"KEY_NOT_ACTIVE",
					expect.stringMatching(message),
				]);
				expect(error.message).toContain("token issued at 2026-11-26T08:00:00Z");
			}
		}
	});

	it("the window is checked before the binding: a retired key's token is refused as such", async () => {
		const token = await sign(key, claims({ licenseArn: "arn:other", sub: "arn:other" }));
		await expectCode(
			verifyBorrowToken(token, opts({ keys: windowed(undefined, ISSUED_AT_MS) })),
			"KEY_NOT_ACTIVE",
		);
		// A bad signature is still BAD_SIGNATURE, whatever the window.
		await expectCode(
			verifyBorrowToken(
				await sign({ ...attacker, kid: "k1" }),
				opts({ keys: windowed(undefined, ISSUED_AT_MS) }),
			),
			"BAD_SIGNATURE",
		);
	});

	it("a JWK whose window members are malformed is a configuration error, not a bad token", async () => {
		const token = await sign(key);
		for (const keys of [
			windowed("yesterday"),
			windowed(undefined, "2026-11-26 08:00:00Z"),
			windowed(ISSUED_AT_MS, ISSUED_AT_MS),
		]) {
			await expect(verifyBorrowToken(token, opts({ keys }))).rejects.toThrow(
				BorrowTokenConfigError,
			);
		}
	});

	it("KEY_NOT_ACTIVE is a documented code", () => {
		expect(BORROW_TOKEN_ERROR_CODES).toContain("KEY_NOT_ACTIVE");
		expect(isBorrowTokenError({ name: "BorrowTokenError", code: "KEY_NOT_ACTIVE" })).toBe(true);
	});
});
