import { Sha256 } from "@aws-crypto/sha256-js";
import { CheckoutLicenseCommand, LicenseManagerClient } from "@aws-sdk/client-license-manager";
import { SignatureV4 } from "@smithy/signature-v4";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
	type CredentialLookup,
	clearSigningKeyCacheForTests,
	computeSignature,
	EMPTY_SHA256,
	parseAuthorization,
	type SignedRequestParts,
	type SigV4Result,
	signedPartsOf,
	verifySigV4,
} from "../../src/auth/sigv4";
import {
	canonicalHeaderValue,
	canonicalPath,
	canonicalQuery,
	canonicalRequest,
	credentialScope,
	type HeaderPairs,
	stringToSign,
} from "../../src/auth/sigv4-canonical";
import { sha256Hex } from "../../src/encoding";
import { type SigV4Vector, SUITE, VECTORS } from "../fixtures/sigv4/vectors";

// --- shared fixtures ---------------------------------------------------------------

const AKID = "AKIAEDGELICENSETEST1";
const SECRET = "edgeSecret/0123456789abcdefghijklmnopqrstuv";
const REGION = "us-west-2";
const HOSTNAME = "license-manager.us-west-2.example.test";
const SIGNED_AT = new Date("2026-01-01T00:00:00Z");
const T0 = SIGNED_AT.getTime();
const MIN = 60_000;
const BODY = JSON.stringify({
	ProductSKU: "sku-1",
	CheckoutType: "PROVISIONAL",
	KeyFingerprint: "aws:294406891311:AWS/Marketplace:issuer-fingerprint",
	Entitlements: [{ Name: "seats", Unit: "Count", Value: "1" }],
	ClientToken: "token-1",
});

function lookupOf(table: Record<string, string>): CredentialLookup & ReturnType<typeof vi.fn> {
	return vi.fn(async (id: string) =>
		id in table ? { secretAccessKey: table[id] as string } : null,
	);
}

let lookup: ReturnType<typeof lookupOf>;
beforeEach(() => {
	clearSigningKeyCacheForTests();
	lookup = lookupOf({ [AKID]: SECRET });
});

interface Signed {
	headers: Record<string, string>;
	body: string;
}

/**
 * Signs like the AWS SDK for JavaScript v3 does for a JSON 1.1 service: the
 * real @smithy/signature-v4 signer, which signs every header it is given
 * except user-agent & co., and adds a signed x-amz-content-sha256.
 */
async function sdkSign(
	options: {
		headers?: Record<string, string>;
		body?: string;
		secret?: string;
		accessKeyId?: string;
		region?: string;
		service?: string;
		date?: Date;
		applyChecksum?: boolean;
	} = {},
): Promise<Signed> {
	const body = options.body ?? BODY;
	const signer = new SignatureV4({
		service: options.service ?? "license-manager",
		region: options.region ?? REGION,
		credentials: {
			accessKeyId: options.accessKeyId ?? AKID,
			secretAccessKey: options.secret ?? SECRET,
		},
		sha256: Sha256,
		applyChecksum: options.applyChecksum ?? true,
	});
	const signed = await signer.sign(
		{
			method: "POST",
			protocol: "https:",
			hostname: HOSTNAME,
			path: "/",
			query: {},
			headers: options.headers ?? {
				"content-type": "application/x-amz-json-1.1",
				"x-amz-target": "AWSLicenseManager.CheckoutLicense",
				host: HOSTNAME,
				"content-length": String(new TextEncoder().encode(body).length),
				"amz-sdk-invocation-id": "2f2a6a0e-0d3e-4c55-9a42-2b0bde5e5a10",
				"amz-sdk-request": "attempt=1; max=3",
				"x-amz-user-agent": "aws-sdk-js/3.1048.0",
				"user-agent": "aws-sdk-js/3.1048.0 ua/2.1 os/linux lang/js",
			},
			body,
		},
		{ signingDate: options.date ?? SIGNED_AT },
	);
	return { headers: signed.headers as Record<string, string>, body };
}

async function partsOf(
	signed: Signed,
	edit?: (h: Headers) => void,
	body = signed.body,
): Promise<SignedRequestParts> {
	const headers = new Headers(signed.headers);
	edit?.(headers);
	return { method: "POST", path: "/", query: "", headers, bodySha256Hex: await sha256Hex(body) };
}

function expectError(result: SigV4Result, type: string, message?: string | RegExp): void {
	expect(result.ok).toBe(false);
	if (result.ok) return;
	expect(result.error.type).toBe(type);
	if (typeof message === "string") expect(result.error.message).toBe(message);
	else if (message) expect(result.error.message).toMatch(message);
}

/** A well-formed Authorization header for `signed`, with one part replaced. */
function authWith(signed: Signed, replace: (auth: string) => string): (h: Headers) => void {
	return (h) => h.set("authorization", replace(signed.headers.authorization as string));
}

// --- test-suite vectors ----------------------------------------------------------

describe("AWS SigV4 test-suite vectors", () => {
	it("has a representative set", () => {
		expect(VECTORS.length).toBeGreaterThanOrEqual(10);
	});

	describe.each(VECTORS.map((v) => [v.name, v] as const))("%s", (_name, v: SigV4Vector) => {
		const signedHeaders = v.signedHeaders.split(";");
		const scope = credentialScope(SUITE.date, SUITE.region, SUITE.service);

		async function build() {
			const payloadHash = await sha256Hex(v.body);
			const creq = canonicalRequest({
				method: v.method,
				path: v.path,
				query: v.query,
				headers: v.headers,
				signedHeaders,
				payloadHash,
			});
			const sts = stringToSign(SUITE.amzDate, scope, await sha256Hex(creq));
			const signature = await computeSignature(
				SUITE.secretAccessKey,
				SUITE.date,
				SUITE.region,
				SUITE.service,
				sts,
			);
			return { creq, sts, signature };
		}

		it("canonical request, string to sign and signature match", async () => {
			const got = await build();
			if (v.creq !== undefined) expect(got.creq).toBe(v.creq);
			if (v.sts !== undefined) expect(got.sts).toBe(v.sts);
			expect(got.signature).toBe(v.signature);
		});

		it(
			v.sessionToken ? "is refused by verifySigV4 (session token)" : "verifies with verifySigV4",
			async () => {
				const authorization = `AWS4-HMAC-SHA256 Credential=${SUITE.accessKeyId}/${scope}, SignedHeaders=${v.signedHeaders}, Signature=${v.signature}`;
				const headers: HeaderPairs = [...v.headers, ["Authorization", authorization]];
				const result = await verifySigV4(
					{
						method: v.method,
						path: v.path,
						query: v.query,
						headers,
						bodySha256Hex: await sha256Hex(v.body),
					},
					lookupOf({ [SUITE.accessKeyId]: SUITE.secretAccessKey }),
					SUITE.nowMs,
					{ service: SUITE.service },
				);
				if (v.sessionToken) {
					expectError(
						result,
						"UnrecognizedClientException",
						"The security token included in the request is invalid.",
					);
				} else {
					expect(result).toEqual({
						ok: true,
						accessKeyId: SUITE.accessKeyId,
						region: SUITE.region,
					});
				}
			},
		);
	});

	it("a workerd Headers object joins repeated headers with ', ', unlike SigV4's ','", () => {
		// Why verifySigV4 also takes raw pairs: from Headers, get-header-key-duplicate
		// cannot be reproduced. No AWS SDK repeats a header, so this only matters for
		// the vectors; a client that sends one comma-joined header verifies fine.
		const h = new Headers([
			["My-Header1", "value2"],
			["My-Header1", "value2"],
			["My-Header1", "value1"],
		]);
		expect(h.get("my-header1")).toBe("value2, value2, value1");
		expect(canonicalHeaderValue([h.get("my-header1") as string])).toBe("value2, value2, value1");
		expect(canonicalHeaderValue(["value2", "value2", "value1"])).toBe("value2,value2,value1");
	});
});

describe("canonical pieces", () => {
	it("encodes the wire path once more (non-S3 double encoding)", () => {
		expect(canonicalPath("/")).toBe("/");
		expect(canonicalPath("")).toBe("/");
		expect(canonicalPath("/example%20space/")).toBe("/example%2520space/");
		expect(canonicalPath("/a/b/../c/./d//")).toBe("/a/c/d/");
		expect(canonicalPath("/a+b=c")).toBe("/a%2Bb%3Dc");
	});

	it("decodes and re-encodes query components, tolerating malformed escapes", () => {
		expect(canonicalQuery("b=2&a=1&a=0")).toBe("a=0&a=1&b=2");
		expect(canonicalQuery("flag&x=%7e&y=a%20b&z=a+b")).toBe("flag=&x=~&y=a%20b&z=a%2Bb");
		expect(canonicalQuery("k=%zz&l=%&m=%E1%88%B4&n=ሴ")).toBe(
			"k=%25zz&l=%25&m=%E1%88%B4&n=%E1%88%B4",
		);
		expect(canonicalQuery("&&a=1&")).toBe("a=1");
	});

	it("sha256Hex hashes strings, buffers and views alike", async () => {
		const bytes = new TextEncoder().encode("Param1=value1");
		const hex = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
		expect(await sha256Hex("Param1=value1")).toBe(hex);
		expect(await sha256Hex(bytes)).toBe(hex);
		expect(await sha256Hex(bytes.buffer as ArrayBuffer)).toBe(hex);
		expect(await sha256Hex("")).toBe(EMPTY_SHA256);
	});
});

// --- real signers --------------------------------------------------------------------

describe("requests from real signers", () => {
	it("verifies a request signed by the AWS SDK's SignatureV4 (JS SDK v3 header set)", async () => {
		const signed = await sdkSign();
		expect(signed.headers.authorization).toContain(
			"SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent,",
		);
		const result = await verifySigV4(await partsOf(signed), lookup, T0);
		expect(result).toEqual({ ok: true, accessKeyId: AKID, region: REGION });
		expect(lookup).toHaveBeenCalledWith(AKID);
	});

	it("verifies what LicenseManagerClient itself puts on the wire", async () => {
		let captured:
			| { method: string; path: string; headers: Record<string, string>; body: unknown }
			| undefined;
		const client = new LicenseManagerClient({
			region: REGION,
			endpoint: `https://${HOSTNAME}`,
			credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
			maxAttempts: 1,
			requestHandler: {
				handle: async (request: NonNullable<typeof captured>) => {
					captured = request;
					throw new Error("captured");
				},
			} as never,
		});
		await expect(
			client.send(
				new CheckoutLicenseCommand({
					ProductSKU: "sku-1",
					CheckoutType: "PROVISIONAL",
					KeyFingerprint: "aws:294406891311:AWS/Marketplace:issuer-fingerprint",
					Entitlements: [{ Name: "seats", Unit: "Count", Value: "1" }],
					ClientToken: "token-1",
				}),
			),
		).rejects.toThrow("captured");
		if (!captured) throw new Error("the SDK sent nothing");
		// The browser/workerd build of the SDK hands the handler a Uint8Array body.
		const body = captured.body;
		if (!(body instanceof Uint8Array) && typeof body !== "string")
			throw new Error("unexpected body type");
		expect(
			new TextDecoder().decode(typeof body === "string" ? new TextEncoder().encode(body) : body),
		).toContain("sku-1");
		expect(captured.headers.authorization).toContain(
			"SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent,",
		);
		const headers = new Headers(captured.headers);
		if (!headers.has("host")) headers.set("host", HOSTNAME); // fetch would add it from the URL
		const result = await verifySigV4(
			{
				method: captured.method,
				path: captured.path,
				query: "",
				headers,
				bodySha256Hex: await sha256Hex(body),
			},
			lookup,
			Date.now(),
		);
		expect(result).toEqual({ ok: true, accessKeyId: AKID, region: REGION });
	});

	it("verifies a botocore-style request (content-type;host;x-amz-date;x-amz-target only)", async () => {
		const signed = await sdkSign({
			applyChecksum: false,
			headers: {
				"content-type": "application/x-amz-json-1.1",
				host: HOSTNAME,
				"x-amz-target": "AWSLicenseManager.CheckoutLicense",
			},
		});
		expect(signed.headers.authorization).toContain(
			"SignedHeaders=content-type;host;x-amz-date;x-amz-target,",
		);
		// botocore sends these too, unsigned.
		const parts = await partsOf(signed, (h) => {
			h.set("user-agent", "Boto3/1.40.0 md/Botocore#1.40.0 ua/2.1 os/linux");
			h.set("content-length", String(BODY.length));
			h.set("accept-encoding", "identity");
		});
		expect(await verifySigV4(parts, lookup, T0)).toEqual({
			ok: true,
			accessKeyId: AKID,
			region: REGION,
		});
	});

	it("verifies a request assembled by hand from the exported pieces", async () => {
		const amzDate = "20260101T000000Z";
		const pairs: Array<[string, string]> = [
			["Content-Type", "application/x-amz-json-1.1"],
			["Host", HOSTNAME],
			["X-Amz-Date", amzDate],
			["X-Amz-Target", "AWSLicenseManager.ListLicenses"],
		];
		const body = "{}";
		const signedHeaders = ["content-type", "host", "x-amz-date", "x-amz-target"];
		const creq = canonicalRequest({
			method: "POST",
			path: "/",
			query: "",
			headers: pairs,
			signedHeaders,
			payloadHash: await sha256Hex(body),
		});
		const scope = credentialScope("20260101", REGION, "license-manager");
		const signature = await computeSignature(
			SECRET,
			"20260101",
			REGION,
			"license-manager",
			stringToSign(amzDate, scope, await sha256Hex(creq)),
		);
		pairs.push([
			"Authorization",
			`AWS4-HMAC-SHA256 Credential=${AKID}/${scope}, SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`,
		]);
		const parts = {
			method: "POST",
			path: "/",
			query: "",
			headers: pairs,
			bodySha256Hex: await sha256Hex(body),
		};
		expect(await verifySigV4(parts, lookup, T0)).toEqual({
			ok: true,
			accessKeyId: AKID,
			region: REGION,
		});
	});

	it("signedPartsOf reads a workerd Request", async () => {
		const signed = await sdkSign();
		const request = new Request(`https://${HOSTNAME}/`, {
			method: "POST",
			headers: signed.headers,
			body: BODY,
		});
		const body = await request.arrayBuffer();
		const parts = await signedPartsOf(request, body);
		expect(parts).toMatchObject({
			method: "POST",
			path: "/",
			query: "",
			bodySha256Hex: await sha256Hex(BODY),
		});
		expect(await verifySigV4(parts, lookup, T0)).toMatchObject({ ok: true });
	});
});

// --- refusals ------------------------------------------------------------------------

describe("refusals", () => {
	const MISMATCH =
		"The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

	it("wrong secret → InvalidSignatureException, leaking nothing", async () => {
		const signed = await sdkSign({ secret: "not-the-secret" });
		const result = await verifySigV4(await partsOf(signed), lookup, T0);
		expectError(result, "InvalidSignatureException", MISMATCH);
		// The message holds neither the secret, nor the signature we expected, nor the string to sign.
		const expected = (await sdkSign()).headers.authorization?.split("Signature=")[1] as string;
		const message = result.ok ? "" : result.error.message;
		expect(message).not.toContain(SECRET);
		expect(message).not.toContain(expected);
		expect(message).not.toContain("AWS4-HMAC-SHA256");
		expect(message).not.toContain("20260101/us-west-2");
	});

	it("unknown access key → UnrecognizedClientException, before any signature work", async () => {
		const signed = await sdkSign({ accessKeyId: "AKIANOBODYKNOWS00000" });
		const result = await verifySigV4(await partsOf(signed), lookup, T0);
		expectError(
			result,
			"UnrecognizedClientException",
			"The security token included in the request is invalid.",
		);
		expect(lookup).toHaveBeenCalledWith("AKIANOBODYKNOWS00000");
	});

	it("tampered body → InvalidSignatureException (x-amz-content-sha256 catches it first)", async () => {
		const signed = await sdkSign();
		const tampered = BODY.replace('"1"', '"1000"');
		const result = await verifySigV4(await partsOf(signed, undefined, tampered), lookup, T0);
		expectError(
			result,
			"InvalidSignatureException",
			"The provided 'x-amz-content-sha256' header does not match what was computed.",
		);
	});

	it("tampered body without x-amz-content-sha256 → signature mismatch", async () => {
		const signed = await sdkSign({ applyChecksum: false });
		expect(signed.headers["x-amz-content-sha256"]).toBeUndefined();
		const result = await verifySigV4(await partsOf(signed, undefined, `${BODY} `), lookup, T0);
		expectError(result, "InvalidSignatureException", MISMATCH);
	});

	it("x-amz-content-sha256 rewritten to match a tampered body → signature mismatch", async () => {
		const signed = await sdkSign();
		const tampered = BODY.replace('"1"', '"1000"');
		const hash = await sha256Hex(tampered);
		const result = await verifySigV4(
			await partsOf(signed, (h) => h.set("x-amz-content-sha256", hash), tampered),
			lookup,
			T0,
		);
		expectError(result, "InvalidSignatureException", MISMATCH);
	});

	it("UNSIGNED-PAYLOAD is refused", async () => {
		const signed = await sdkSign({
			headers: {
				"content-type": "application/x-amz-json-1.1",
				host: HOSTNAME,
				"x-amz-content-sha256": "UNSIGNED-PAYLOAD",
				"x-amz-target": "AWSLicenseManager.CheckoutLicense",
			},
		});
		const result = await verifySigV4(await partsOf(signed), lookup, T0);
		expectError(
			result,
			"InvalidSignatureException",
			"x-amz-content-sha256 'UNSIGNED-PAYLOAD' is not supported: the request body must be signed.",
		);
		expect(lookup).not.toHaveBeenCalled();
	});

	it("tampered signed header → signature mismatch", async () => {
		const signed = await sdkSign();
		const parts = await partsOf(signed, (h) =>
			h.set("x-amz-target", "AWSLicenseManager.DeleteLicense"),
		);
		expectError(await verifySigV4(parts, lookup, T0), "InvalidSignatureException", MISMATCH);
	});

	it("changed or added unsigned headers do not matter", async () => {
		const signed = await sdkSign();
		const parts = await partsOf(signed, (h) => {
			h.set("user-agent", "something else entirely");
			h.set("x-forwarded-for", "203.0.113.7");
			h.set("cf-connecting-ip", "203.0.113.7");
		});
		expect(await verifySigV4(parts, lookup, T0)).toEqual({
			ok: true,
			accessKeyId: AKID,
			region: REGION,
		});
	});

	it("a request 16 minutes old has expired", async () => {
		const signed = await sdkSign();
		const result = await verifySigV4(await partsOf(signed), lookup, T0 + 16 * MIN);
		expectError(
			result,
			"InvalidSignatureException",
			"Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z (20260101T001600Z - 15 min.)",
		);
		expect(lookup).not.toHaveBeenCalled();
	});

	it("a request signed 16 minutes in the future is not yet current", async () => {
		const signed = await sdkSign();
		const result = await verifySigV4(await partsOf(signed), lookup, T0 - 16 * MIN);
		expectError(
			result,
			"InvalidSignatureException",
			"Signature not yet current: 20260101T000000Z is still later than 20251231T235900Z (20251231T234400Z + 15 min.)",
		);
	});

	it("exactly 15 minutes either way is still accepted", async () => {
		const parts = await partsOf(await sdkSign());
		expect((await verifySigV4(parts, lookup, T0 + 15 * MIN)).ok).toBe(true);
		expect((await verifySigV4(parts, lookup, T0 - 15 * MIN)).ok).toBe(true);
	});

	it("X-Amz-Security-Token → UnrecognizedClientException, no lookup", async () => {
		const signed = await sdkSign();
		const result = await verifySigV4(
			await partsOf(signed, (h) => h.set("x-amz-security-token", "FwoGZXIvYXdzEXAMPLE")),
			lookup,
			T0,
		);
		expectError(
			result,
			"UnrecognizedClientException",
			"The security token included in the request is invalid.",
		);
		expect(lookup).not.toHaveBeenCalled();
	});

	it("a scope region the deployment does not serve → InvalidSignatureException", async () => {
		const signed = await sdkSign();
		const result = await verifySigV4(await partsOf(signed), lookup, T0, {
			isRegionAllowed: (r) => r === "eu-west-1",
		});
		expectError(
			result,
			"InvalidSignatureException",
			"Credential should be scoped to a valid region, not 'us-west-2'.",
		);
		expect(lookup).not.toHaveBeenCalled();
		expect(
			(
				await verifySigV4(await partsOf(signed), lookup, T0, {
					isRegionAllowed: (r) => r === REGION,
				})
			).ok,
		).toBe(true);
	});

	it("a rotated secret never reuses the old cached signing key", async () => {
		const parts = await partsOf(await sdkSign());
		expect((await verifySigV4(parts, lookup, T0)).ok).toBe(true);
		const rotated = lookupOf({ [AKID]: "a-brand-new-secret" });
		expectError(await verifySigV4(parts, rotated, T0), "InvalidSignatureException", MISMATCH);
		const resigned = await partsOf(await sdkSign({ secret: "a-brand-new-secret" }));
		expect((await verifySigV4(resigned, rotated, T0)).ok).toBe(true);
	});

	it("a lookup that fails propagates (infrastructure error, not an auth result)", async () => {
		const broken: CredentialLookup = async () => {
			throw new Error("D1 unavailable");
		};
		await expect(verifySigV4(await partsOf(await sdkSign()), broken, T0)).rejects.toThrow(
			"D1 unavailable",
		);
	});
});

describe("missing and malformed Authorization", () => {
	it("no Authorization header → MissingAuthenticationTokenException", async () => {
		const signed = await sdkSign();
		for (const edit of [
			(h: Headers) => h.delete("authorization"),
			(h: Headers) => h.set("authorization", ""),
		]) {
			const result = await verifySigV4(await partsOf(signed, edit), lookup, T0);
			expectError(
				result,
				"MissingAuthenticationTokenException",
				"Request is missing Authentication Token",
			);
		}
		expect(lookup).not.toHaveBeenCalled();
	});

	const SCOPE = `${AKID}/20260101/${REGION}/license-manager/aws4_request`;
	const SIG = "a".repeat(64);
	const cases: Array<[string, string, string]> = [
		[
			"wrong algorithm",
			`AWS4-HMAC-SHA512 Credential=${SCOPE}, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'. Expected 'AWS4-HMAC-SHA256'.",
		],
		[
			"not SigV4 at all",
			"Bearer eyJhbGciOi",
			"Unsupported AWS 'algorithm': 'Bearer'. Expected 'AWS4-HMAC-SHA256'.",
		],
		[
			"algorithm only",
			"AWS4-HMAC-SHA256",
			"Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter.",
		],
		[
			"no Credential",
			`AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			"Authorization header requires 'Credential' parameter.",
		],
		[
			"no SignedHeaders",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, Signature=${SIG}`,
			"Authorization header requires 'SignedHeaders' parameter.",
		],
		[
			"no Signature",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;x-amz-date`,
			"Authorization header requires 'Signature' parameter.",
		],
		[
			"part without '='",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders, Signature=${SIG}`,
			"'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header.",
		],
		[
			"repeated parameter",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, Credential=${SCOPE}, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			"Authorization header has more than one 'Credential' parameter.",
		],
		[
			"scope of 4 parts",
			`AWS4-HMAC-SHA256 Credential=${AKID}/20260101/${REGION}/license-manager, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${AKID}/20260101/${REGION}/license-manager'.`,
		],
		[
			"scope of 6 parts",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}/x, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${SCOPE}/x'.`,
		],
		[
			"wrong terminator",
			`AWS4-HMAC-SHA256 Credential=${AKID}/20260101/${REGION}/license-manager/aws4_reqest, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'.",
		],
		[
			"wrong service",
			`AWS4-HMAC-SHA256 Credential=${AKID}/20260101/${REGION}/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			"Credential should be scoped to correct service: 'license-manager'.",
		],
		[
			"bad scope date",
			`AWS4-HMAC-SHA256 Credential=${AKID}/2026-01-01/${REGION}/license-manager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			"Invalid credential date '2026-01-01'. Date is not the required format: yyyyMMdd.",
		],
		[
			"scope date ≠ X-Amz-Date",
			`AWS4-HMAC-SHA256 Credential=${AKID}/20251231/${REGION}/license-manager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T000000Z'.",
		],
		[
			"host not signed",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=content-type;x-amz-date, Signature=${SIG}`,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		],
		[
			"signed header absent",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;x-amz-date;x-amz-meta-gone, Signature=${SIG}`,
			"Header 'x-amz-meta-gone' is listed in SignedHeaders but is not present in the request.",
		],
		[
			"SignedHeaders unsorted",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=x-amz-date;host, Signature=${SIG}`,
			"Invalid SignedHeaders 'x-amz-date;host': expected lower-case header names separated by ';', in ascending order without repeats.",
		],
		[
			"SignedHeaders upper-case",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=Host;X-Amz-Date, Signature=${SIG}`,
			"Invalid SignedHeaders 'Host;X-Amz-Date': expected lower-case header names separated by ';', in ascending order without repeats.",
		],
		[
			"SignedHeaders empty name",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;;x-amz-date, Signature=${SIG}`,
			"Invalid SignedHeaders 'host;;x-amz-date': expected lower-case header names separated by ';', in ascending order without repeats.",
		],
		[
			"signature upper-case hex",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;x-amz-date, Signature=${"A".repeat(64)}`,
			"Signature must be 64 lower-case hexadecimal characters.",
		],
		[
			"signature too short",
			`AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(63)}`,
			"Signature must be 64 lower-case hexadecimal characters.",
		],
	];

	it.each(cases)("%s → IncompleteSignatureException", async (_name, authorization, message) => {
		const signed = await sdkSign();
		const result = await verifySigV4(
			await partsOf(signed, (h) => h.set("authorization", authorization)),
			lookup,
			T0,
		);
		expectError(result, "IncompleteSignatureException", message);
		expect(lookup).not.toHaveBeenCalled();
	});

	it("missing X-Amz-Date → IncompleteSignatureException", async () => {
		const signed = await sdkSign();
		const result = await verifySigV4(
			await partsOf(signed, (h) => h.delete("x-amz-date")),
			lookup,
			T0,
		);
		expectError(
			result,
			"IncompleteSignatureException",
			"Authorization header requires existence of a 'X-Amz-Date' header.",
		);
	});

	it("malformed X-Amz-Date → IncompleteSignatureException", async () => {
		const signed = await sdkSign();
		for (const bad of ["2026-01-01T00:00:00Z", "20261301T000000Z", "20260101T000000"]) {
			const result = await verifySigV4(
				await partsOf(signed, (h) => h.set("x-amz-date", bad)),
				lookup,
				T0,
			);
			expectError(
				result,
				"IncompleteSignatureException",
				`Invalid X-Amz-Date header: '${bad}'. Expected ISO-8601 basic format, e.g. 20150830T123600Z.`,
			);
		}
	});

	it("a Date header does not stand in for X-Amz-Date", async () => {
		const signed = await sdkSign();
		const parts = await partsOf(signed, (h) => {
			h.delete("x-amz-date");
			h.set("date", SIGNED_AT.toUTCString());
		});
		expectError(await verifySigV4(parts, lookup, T0), "IncompleteSignatureException");
	});

	it("repeated Authorization headers (raw pairs) → IncompleteSignatureException", async () => {
		const signed = await sdkSign();
		const pairs: HeaderPairs = [
			...Object.entries(signed.headers),
			["Authorization", signed.headers.authorization as string],
		];
		const result = await verifySigV4(
			{
				method: "POST",
				path: "/",
				query: "",
				headers: pairs,
				bodySha256Hex: await sha256Hex(BODY),
			},
			lookup,
			T0,
		);
		expectError(
			result,
			"IncompleteSignatureException",
			"Request has more than one Authorization header.",
		);
	});

	it("echoed client input is clipped and stripped of control characters", async () => {
		const signed = await sdkSign();
		const long = `X${"y".repeat(200)}\u0007`;
		const result = await verifySigV4(
			await partsOf(
				signed,
				authWith(signed, () => long),
			),
			lookup,
			T0,
		);
		expectError(
			result,
			"IncompleteSignatureException",
			`Unsupported AWS 'algorithm': 'X${"y".repeat(63)}...'. Expected 'AWS4-HMAC-SHA256'.`,
		);
	});

	it("parseAuthorization accepts the formatting both SDKs use", () => {
		const parsed = parseAuthorization(
			`AWS4-HMAC-SHA256 Credential=${AKID}/20260101/${REGION}/license-manager/aws4_request,SignedHeaders=content-type;host;x-amz-date;x-amz-target,Signature=${"0".repeat(64)}`,
		);
		expect(parsed).toEqual({
			accessKeyId: AKID,
			date: "20260101",
			region: REGION,
			service: "license-manager",
			signedHeaders: ["content-type", "host", "x-amz-date", "x-amz-target"],
			signature: "0".repeat(64),
		});
	});
});

describe("requiredSignedHeaders (the operation bound to the signature)", () => {
	const BINDING = {
		always: ["host", "x-amz-date", "x-amz-target"],
		whenPresent: ["content-type"],
	} as const;
	const HEADERS = {
		"content-type": "application/x-amz-json-1.1",
		host: HOSTNAME,
		"x-amz-target": "AWSLicenseManager.CheckoutLicense",
	};

	/** Signed over host;x-amz-date only; content-type and x-amz-target added afterwards. */
	async function hostAndDateOnly(): Promise<Signed> {
		const signed = await sdkSign({ applyChecksum: false, headers: { host: HOSTNAME } });
		expect(signed.headers.authorization).toContain("SignedHeaders=host;x-amz-date,");
		return { ...signed, headers: { ...signed.headers, ...HEADERS } };
	}

	it("plain SigV4 (no option) accepts SignedHeaders=host;x-amz-date, as AWS's vectors need", async () => {
		const result = await verifySigV4(await partsOf(await hostAndDateOnly()), lookup, T0);
		expect(result.ok).toBe(true);
	});

	it("with the option, names every required header left unsigned, before any lookup", async () => {
		const result = await verifySigV4(await partsOf(await hostAndDateOnly()), lookup, T0, {
			requiredSignedHeaders: BINDING,
		});
		expectError(
			result,
			"IncompleteSignatureException",
			"'Content-Type' must be a 'SignedHeader' in the AWS Authorization. " +
				"'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
		);
		expect(lookup).not.toHaveBeenCalled();
	});

	it("`always` headers are required even when the request lacks them; `whenPresent` only if sent", async () => {
		const signed = await sdkSign({ applyChecksum: false, headers: { host: HOSTNAME } });
		const opts = { requiredSignedHeaders: BINDING };
		expectError(
			await verifySigV4(await partsOf(signed), lookup, T0, opts),
			"IncompleteSignatureException",
			"'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
		);
		// Signed over host;x-amz-date;x-amz-target with no Content-Type sent: accepted.
		const noType = await sdkSign({
			applyChecksum: false,
			headers: { host: HOSTNAME, "x-amz-target": HEADERS["x-amz-target"] },
		});
		expect((await verifySigV4(await partsOf(noType), lookup, T0, opts)).ok).toBe(true);
	});

	it("the JS SDK's and botocore's header sets satisfy it", async () => {
		const opts = { requiredSignedHeaders: BINDING };
		expect((await verifySigV4(await partsOf(await sdkSign()), lookup, T0, opts)).ok).toBe(true);
		const boto = await sdkSign({ applyChecksum: false, headers: HEADERS });
		expect((await verifySigV4(await partsOf(boto), lookup, T0, opts)).ok).toBe(true);
	});
});
