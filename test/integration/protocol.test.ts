import { beforeAll, describe, expect, it } from "vitest";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense } from "../helpers/fixtures";
import {
	call,
	ENDPOINT,
	JSON_11,
	type Reply,
	readReply,
	signedRequest,
	workerFetch,
} from "../helpers/wire";

/** SPEC §1: the AWS JSON 1.1 wire protocol, including what no SDK would send. */

const KIB_256 = 256 * 1024;
const NEVER_MINTED =
	"arn:aws:license-manager::111122223333:license:l-00000000000000000000000000000000";
const NULL_ARN =
	"1 validation error detected: Value null at 'licenseArn' failed to satisfy constraint: Member must not be null";

/**
 * Unsigned, for what `call()` cannot express (streams, no target, other routes):
 * each of these is refused before authentication.
 */
async function raw(path: string, init: RequestInit & { duplex?: "half" }): Promise<Reply> {
	return readReply(await workerFetch(`${ENDPOINT}${path}`, init));
}

function targetHeaders(target?: string): Record<string, string> {
	return target === undefined
		? { "Content-Type": JSON_11 }
		: { "Content-Type": JSON_11, "X-Amz-Target": target };
}

/** A GetLicense body padded with an ignored member to exactly `bytes` bytes of UTF-8. */
function paddedGetLicense(bytes: number): string {
	const head = `{"LicenseArn":"${NEVER_MINTED}","Pad":"`;
	const text = `${head}${"x".repeat(bytes - head.length - 2)}"}`;
	expect(new TextEncoder().encode(text).byteLength).toBe(bytes);
	return text;
}

function streamOf(totalBytes: number, chunk = 16 * 1024): ReadableStream<Uint8Array> {
	let sent = 0;
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			if (sent >= totalBytes) return controller.close();
			const n = Math.min(chunk, totalBytes - sent);
			sent += n;
			controller.enqueue(new Uint8Array(n).fill(0x20));
		},
	});
}

describe("request bodies", () => {
	it("refuses malformed JSON with SerializationException", async () => {
		for (const body of ["{", '{"LicenseArn":}', "{'a':1}", "nope", '{"a":1} trailing']) {
			expectAwsError(
				await call("GetLicense", body),
				"SerializationException",
				"The request body is not valid JSON.",
			);
		}
	});

	it("refuses JSON that is not an object with SerializationException", async () => {
		for (const body of ["[]", '[{"LicenseArn":"x"}]', '"a string"', "42", "null", "true"]) {
			expectAwsError(
				await call("GetLicense", body),
				"SerializationException",
				"The request body must be a JSON object.",
			);
		}
	});

	it("treats an empty body as {}", async () => {
		expectAwsError(await call("GetLicense", ""), "ValidationException", NULL_ARN);
		expectAwsError(await call("GetLicense", "{}"), "ValidationException", NULL_ARN);
	});

	it("refuses invalid UTF-8 with SerializationException", async () => {
		const prefix = new TextEncoder().encode('{"LicenseArn":"');
		const bytes = new Uint8Array([...prefix, 0xff, 0xfe, 0x22, 0x7d]);
		const res = await workerFetch(await signedRequest("GetLicense", bytes));
		expectAwsError(
			await readReply(res),
			"SerializationException",
			"The request body is not valid JSON.",
		);
	});

	it("ignores unknown members, at the top level and inside structures", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, {
			Foo: { deeply: ["nested"] },
			Entitlements: [{ Name: "Seats", Unit: "Count", Value: "1", Bar: 1 }],
		});
		const out = expectOk(await call("CheckoutBorrowLicense", body));
		expect(out.EntitlementsAllowed).toEqual([{ Name: "Seats", Unit: "Count", Value: "1" }]);
		expect(out).not.toHaveProperty("Foo");
	});
});

describe("body size", () => {
	it("refuses a body over 256 KiB sent with a known length", async () => {
		const res = await call("GetLicense", paddedGetLicense(KIB_256 + 1));
		expectAwsError(res, "ValidationException", /larger than 262144 bytes/);
	});

	it("refuses a streamed body over 256 KiB that declares no length", async () => {
		const res = await raw("/", {
			method: "POST",
			headers: targetHeaders("AWSLicenseManager.GetLicense"),
			body: streamOf(KIB_256 + 1),
			duplex: "half",
		});
		expectAwsError(res, "ValidationException", /larger than 262144 bytes/);
	});

	it("refuses a huge streamed body without reading it all", async () => {
		const res = await raw("/", {
			method: "POST",
			headers: targetHeaders("AWSLicenseManager.GetLicense"),
			body: streamOf(64 * 1024 * 1024),
			duplex: "half",
		});
		expectAwsError(res, "ValidationException", /larger than 262144 bytes/);
	});

	it("parses a body of exactly 256 KiB", async () => {
		const res = await call("GetLicense", paddedGetLicense(KIB_256));
		expectAwsError(res, "ResourceNotFoundException", /does not exist/);
	});
});

describe("targets and routes", () => {
	it("answers UnknownOperationException for unknown, empty and wrongly prefixed targets", async () => {
		const targets = [
			"AWSLicenseManager.NoSuchOperation",
			"AWSLicenseManager.",
			"AWSLicenseManager.getLicense",
			"AWSLicenseManager.toString",
			"AWSLicenseManager.__proto__",
			"AWSLicenseManager.hasOwnProperty",
			"awslicensemanager.GetLicense",
			"AWSLicenseManagerV2.GetLicense",
			"GetLicense",
			"",
		];
		for (const target of targets) {
			const res = await raw("/", { method: "POST", headers: targetHeaders(target), body: "{}" });
			expectAwsError(res, "UnknownOperationException", /^Unknown operation /);
		}
	});

	it("answers UnknownOperationException when X-Amz-Target is missing", async () => {
		const res = await raw("/", { method: "POST", headers: targetHeaders(), body: "{}" });
		expectAwsError(res, "UnknownOperationException");
	});

	it("answers other methods and paths with an AWS-shaped error, never a 5xx", async () => {
		const attempts: [string, RequestInit][] = [
			["/", { method: "GET" }],
			["/", { method: "PUT", headers: targetHeaders("AWSLicenseManager.GetLicense"), body: "{}" }],
			[
				"/other",
				{ method: "POST", headers: targetHeaders("AWSLicenseManager.GetLicense"), body: "{}" },
			],
			["/.well-known/jwks.json", { method: "POST", body: "{}" }],
			["/nope?x=1", { method: "GET" }],
		];
		for (const [path, init] of attempts) {
			expectAwsError(await raw(path, init), "UnknownOperationException", /^No operation at /);
		}
	});
});

describe("response shape", () => {
	let arn: string;
	beforeAll(async () => {
		arn = await createLicense();
	});

	it("renders errors with one type in body and header, a fresh request id and a Date", async () => {
		const a = await call("GetLicense", { LicenseArn: NEVER_MINTED });
		const b = await call("GetLicense", { LicenseArn: NEVER_MINTED });
		expectAwsError(a, "ResourceNotFoundException", `License ${NEVER_MINTED} does not exist.`);
		expectAwsError(b, "ResourceNotFoundException", `License ${NEVER_MINTED} does not exist.`);
		expect(a.text).toBe(b.text);
		expect(a.headers.get("x-amzn-RequestId")).not.toBe(b.headers.get("x-amzn-RequestId"));
		expect(a.text).not.toMatch(/\n\s+at |Error:/);
	});

	it("omits unset members from success bodies and sets the JSON 1.1 headers", async () => {
		const res = await call("CheckoutBorrowLicense", checkoutBody(arn));
		const out = expectOk(res);
		expect(Object.keys(out).sort()).toEqual([
			"EntitlementsAllowed",
			"Expiration",
			"IssuedAt",
			"LicenseArn",
			"LicenseConsumptionToken",
			"SignedToken",
		]);
		expect(res.text).not.toContain('"NodeId"');
		expect(res.text).not.toContain('"CheckoutMetadata"');
		expect(res.text).not.toMatch(/:\s*null\s*[,}\]]/);
		expect(Number.isNaN(Date.parse(res.headers.get("Date") ?? ""))).toBe(false);

		const usage = expectOk(await call("GetLicenseUsage", { LicenseArn: arn }));
		const tier = (
			usage.LicenseUsage as { EntitlementUsages: Record<string, unknown>[] }
		).EntitlementUsages.find((e) => e.Name === "Tier");
		expect(tier).toEqual({ Name: "Tier", ConsumedValue: "0", Unit: "None" });
	});

	it("gives every success a fresh request id, also on an idempotent replay", async () => {
		const body = checkoutBody(arn);
		const first = await call("CheckoutBorrowLicense", body);
		const again = await call("CheckoutBorrowLicense", body);
		expectOk(first);
		expectOk(again);
		expect(again.text).toBe(first.text);
		expect(again.headers.get("x-amzn-RequestId")).not.toBe(first.headers.get("x-amzn-RequestId"));
	});
});

describe("partitions", () => {
	const CN_ARN =
		"arn:aws-cn:license-manager::111122223333:license:l-00000000000000000000000000000000";

	it("redirects an ARN of another partition with RedirectException (400)", async () => {
		for (const [op, body] of [
			["GetLicense", { LicenseArn: CN_ARN }],
			["GetLicenseUsage", { LicenseArn: CN_ARN }],
			["CheckoutBorrowLicense", checkoutBody(CN_ARN)],
		] as const) {
			const res = await call(op, body);
			expectAwsError(
				res,
				"RedirectException",
				/serves the aws partition; aws-cn resources are served elsewhere/,
			);
			// No REDIRECTS configured in tests: no Location to give.
			expect(res.json).not.toHaveProperty("Location");
			expect(res.headers.get("Location")).toBeNull();
		}
	});

	it("validates the request before redirecting it", async () => {
		const res = await call("CheckoutBorrowLicense", checkoutBody(CN_ARN, { ClientToken: "a-b" }));
		expectAwsError(res, "ValidationException", /at 'clientToken'/);
	});
});

describe("JWKS", () => {
	it("publishes public PS384 signing keys only", async () => {
		const res = await workerFetch(`${ENDPOINT}/.well-known/jwks.json`);
		expect(res.status).toBe(200);
		const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
		expect(jwks.keys.length).toBeGreaterThan(0);
		for (const key of jwks.keys) {
			expect(key).toMatchObject({ kty: "RSA", alg: "PS384", use: "sig" });
			expect(typeof key.kid).toBe("string");
			expect(typeof key.n).toBe("string");
			expect(key.e).toBe("AQAB");
			for (const secret of ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
				expect(key).not.toHaveProperty(secret);
		}
		expect(Object.keys(jwks)).toEqual(["keys"]);
		const pem = await workerFetch(`${ENDPOINT}/keys/${jwks.keys[0]?.kid}.pem`);
		expect(pem.status).toBe(200);
		const text = await pem.text();
		expect(text).toMatch(
			/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/,
		);
		expect(text).not.toContain("PRIVATE");
	});
});
