import { Sha256 } from "@aws-crypto/sha256-js";
import {
	CheckoutBorrowLicenseCommand,
	ExtendLicenseConsumptionCommand,
	GetLicenseUsageCommand,
	type LicenseManagerServiceException,
} from "@aws-sdk/client-license-manager";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { clearPrincipalCacheForTests, PRINCIPAL_CACHE_MS } from "../../src/auth/principals";
import { advanceClockForTests, clock } from "../../src/clock";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput } from "../helpers/fixtures";
import { freshPrincipal, ISSUER, putPrincipal, type TestPrincipal } from "../helpers/principals";
import { sdkClient } from "../helpers/sdk";
import { licenseCount, objectRows } from "../helpers/storage";
import {
	authorizationOf,
	call,
	ENDPOINT,
	type Reply,
	type Signed,
	send,
	sign,
	signatureOf,
	usageText,
	workerFetch,
} from "../helpers/wire";

/** SPEC §2: SigV4 as the AWS SDK and botocore sign it, and every way a request is refused before it runs. */

const MINUTE = 60_000;
let arn: string;

beforeAll(async () => {
	arn = await createLicense();
});

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A refusal: right type, status 400, no secret or signature echoed. */
function expectRefusal(res: Reply, type: string, signed?: Signed, principal = ISSUER): void {
	expectAwsError(res, type);
	expect(res.text).not.toContain(principal.secretAccessKey);
	if (signed) expect(res.text).not.toContain(signatureOf(signed));
}

/** A checkout signed by `principal`, sent with `changes`: refused with `type`, and the license's usage unchanged. */
async function expectRefusedCheckout(
	signed: Signed,
	type: string,
	changes: Parameters<typeof send>[1] = {},
	principal = ISSUER,
): Promise<Reply> {
	const before = await usageText(arn);
	const res = await send(signed, changes);
	expectRefusal(res, type, signed, principal);
	expect(await usageText(arn)).toBe(before);
	return res;
}

const signCheckout = (principal: TestPrincipal = ISSUER, opts: Parameters<typeof sign>[3] = {}) =>
	sign("CheckoutBorrowLicense", checkoutBody(arn), principal, opts);

describe("accepted signatures", () => {
	it("accepts requests signed by the real AWS SDK for JavaScript", async () => {
		const client = sdkClient(ISSUER);
		const before = await client.send(new GetLicenseUsageCommand({ LicenseArn: arn }));
		const seats = () =>
			before.LicenseUsage?.EntitlementUsages?.find((e) => e.Name === "Seats")?.ConsumedValue;
		const out = await client.send(new CheckoutBorrowLicenseCommand(checkoutBody(arn) as never));
		expect(out.LicenseConsumptionToken).toMatch(/^[0-9a-f]{64}$/);
		const after = await client.send(new GetLicenseUsageCommand({ LicenseArn: arn }));
		const seatsAfter = after.LicenseUsage?.EntitlementUsages?.find((e) => e.Name === "Seats");
		expect(Number(seatsAfter?.ConsumedValue)).toBe(Number(seats()) + 1);
	});

	it("accepts botocore-style signatures (content-type;host;x-amz-date;x-amz-target only)", async () => {
		const signed = await sign("GetLicenseUsage", { LicenseArn: arn }, ISSUER);
		expect(authorizationOf(signed)).toContain(
			"SignedHeaders=content-type;host;x-amz-date;x-amz-target,",
		);
		expectOk(await send(signed));
	});

	it("ignores headers outside SignedHeaders: changed or added after signing", async () => {
		const signed = await sign("GetLicenseUsage", { LicenseArn: arn }, ISSUER, {
			headers: { "user-agent": "aws-cli/2.0" },
		});
		// user-agent is never signed by the AWS signers: changing it must not matter.
		expect(authorizationOf(signed)).not.toContain("user-agent");
		const res = await send(signed, {
			headers: {
				"user-agent": "something-else/9",
				"x-added-later": "1",
				"x-forwarded-for": "10.0.0.1",
			},
		});
		expectOk(res);
	});

	it("accepts an X-Amz-Date 14 minutes in the past or future", async () => {
		for (const offset of [-14 * MINUTE, 14 * MINUTE]) {
			const date = new Date(clock.now() + offset);
			expectOk(await send(await sign("GetLicenseUsage", { LicenseArn: arn }, ISSUER, { date })));
		}
	});
});

describe("refused before the operation runs", () => {
	it("MissingAuthenticationTokenException without Authorization", async () => {
		const signed = await signCheckout();
		await expectRefusedCheckout(signed, "MissingAuthenticationTokenException", {
			headers: { authorization: null },
		});
		await expectRefusedCheckout(signed, "MissingAuthenticationTokenException", {
			headers: { authorization: "" },
		});
	});

	it("IncompleteSignatureException for a malformed Authorization header", async () => {
		const signed = await signCheckout();
		const auth = authorizationOf(signed);
		const variants = [
			auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
			auth.replace("AWS4-HMAC-SHA256", "AWS"),
			auth.replace(/SignedHeaders=[^,]*,\s*/, ""),
			auth.replace(/,\s*Signature=[0-9a-f]+/, ""),
			auth.replace("/aws4_request", ""),
			auth.replace("/aws4_request", "/aws5_request"),
			auth.replace(/Credential=[^/]+\/\d{8}/, (m) => `${m.slice(0, -8)}2020-1-1`),
			auth.replace("/license-manager/", "/s3/"),
			auth.replace(/Signature=[0-9a-f]{64}/, "Signature=xyz"),
			"Bearer abc",
		];
		for (const authorization of variants) {
			expect(authorization).not.toBe(auth);
			await expectRefusedCheckout(signed, "IncompleteSignatureException", {
				headers: { authorization },
			});
		}
	});

	it("IncompleteSignatureException for a request correctly signed for another service", async () => {
		const signed = await signCheckout(ISSUER, { service: "sts" });
		await expectRefusedCheckout(signed, "IncompleteSignatureException");
	});

	it("IncompleteSignatureException without X-Amz-Date", async () => {
		const signed = await signCheckout();
		await expectRefusedCheckout(signed, "IncompleteSignatureException", {
			headers: { "x-amz-date": null },
		});
	});

	it("UnrecognizedClientException for an unknown access key", async () => {
		const stranger = freshPrincipal("999999999999", "unknown");
		const res = await expectRefusedCheckout(
			await signCheckout(stranger),
			"UnrecognizedClientException",
			{},
			stranger,
		);
		expect(res.json.message).toBe("The security token included in the request is invalid.");
	});

	it("UnrecognizedClientException for a revoked key, within the cache bound", async () => {
		const key = freshPrincipal(ISSUER.accountId, "revoked");
		await putPrincipal(key);
		expectOk(await send(await sign("GetLicenseUsage", { LicenseArn: arn }, key)));
		await putPrincipal(key, { status: "REVOKED" });
		// Without clearing the cache: refused once the stated bound has passed.
		advanceClockForTests(PRINCIPAL_CACHE_MS + 1000);
		await expectRefusedCheckout(await signCheckout(key), "UnrecognizedClientException", {}, key);
		// And immediately, once the cache is cleared.
		advanceClockForTests(-(PRINCIPAL_CACHE_MS + 1000));
		clearPrincipalCacheForTests();
		await expectRefusedCheckout(await signCheckout(key), "UnrecognizedClientException", {}, key);
	});

	it("InvalidSignatureException for the wrong secret", async () => {
		const wrong = { ...ISSUER, secretAccessKey: "not-the-secret" };
		await expectRefusedCheckout(await signCheckout(wrong), "InvalidSignatureException");
	});

	it("the SDK sees InvalidSignatureException as a typed 400 error", async () => {
		const client = sdkClient({ ...ISSUER, secretAccessKey: "not-the-secret" });
		const err = (await client
			.send(new GetLicenseUsageCommand({ LicenseArn: arn }))
			.catch((e: unknown) => e)) as LicenseManagerServiceException;
		expect(err.name).toBe("InvalidSignatureException");
		expect(err.$metadata.httpStatusCode).toBe(400);
	});

	it("InvalidSignatureException for a body changed after signing", async () => {
		const signed = await signCheckout();
		const other = JSON.stringify(
			checkoutBody(arn, { Entitlements: [{ Name: "Seats", Unit: "Count", Value: "2" }] }),
		);
		await expectRefusedCheckout(signed, "InvalidSignatureException", { body: other });
		// With x-amz-content-sha256 signed too (as the JS SDK does).
		const body = JSON.stringify(checkoutBody(arn));
		const sdkStyle = await sign("CheckoutBorrowLicense", body, ISSUER, {
			headers: { "x-amz-content-sha256": await sha256Hex(body) },
		});
		expect(authorizationOf(sdkStyle)).toContain("x-amz-content-sha256");
		await expectRefusedCheckout(sdkStyle, "InvalidSignatureException", { body: other });
	});

	it("InvalidSignatureException for a signed header changed after signing (X-Amz-Target)", async () => {
		// Signed as a read, sent as a checkout: must not borrow.
		const signed = await sign("GetLicenseUsage", checkoutBody(arn), ISSUER);
		await expectRefusedCheckout(signed, "InvalidSignatureException", {
			headers: { "x-amz-target": "AWSLicenseManager.CheckoutBorrowLicense" },
		});
		await expectRefusedCheckout(signed, "InvalidSignatureException", {
			headers: { "content-type": "application/json" },
		});
	});

	it("InvalidSignatureException for X-Amz-Date 16 minutes old or 16 minutes ahead", async () => {
		for (const offset of [-16 * MINUTE, 16 * MINUTE]) {
			const signed = await signCheckout(ISSUER, { date: new Date(clock.now() + offset) });
			await expectRefusedCheckout(signed, "InvalidSignatureException");
		}
	});

	it("InvalidSignatureException for an unsigned payload (the body must be covered)", async () => {
		const signed = await signCheckout(ISSUER, {
			headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
		});
		expect(authorizationOf(signed)).toContain("x-amz-content-sha256");
		await expectRefusedCheckout(signed, "InvalidSignatureException");
	});

	it("refuses X-Amz-Security-Token (no STS here) with UnrecognizedClientException", async () => {
		const token = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN";
		const signed = await signCheckout(ISSUER, { sessionToken: token });
		expect(authorizationOf(signed)).toContain("x-amz-security-token");
		const res = await expectRefusedCheckout(signed, "UnrecognizedClientException");
		expect(res.text).not.toContain(token);
		// Also when added unsigned to an otherwise valid request.
		await expectRefusedCheckout(await signCheckout(), "UnrecognizedClientException", {
			headers: { "x-amz-security-token": token },
		});
	});

	it("a refused CreateLicense creates nothing", async () => {
		const before = await licenseCount();
		const signed = await sign("CreateLicense", licenseInput(), ISSUER);
		for (const changes of [
			{ headers: { authorization: null } },
			{ body: JSON.stringify(licenseInput()) },
		]) {
			const res = await send(signed, changes);
			expect(res.status).toBe(400);
		}
		expectRefusal(
			await send(await sign("CreateLicense", licenseInput(), { ...ISSUER, secretAccessKey: "x" })),
			"InvalidSignatureException",
		);
		expect(await licenseCount()).toBe(before);
	});
});

describe("secrets never reach the logs", () => {
	const methods = ["log", "error", "warn", "info", "debug"] as const;
	afterEach(() => vi.restoreAllMocks());

	it("logs neither the secret nor the provided signature of a failing request", async () => {
		const spies = methods.map((m) => vi.spyOn(console, m));
		const badSecret = await signCheckout({ ...ISSUER, secretAccessKey: "wrong-secret-value" });
		const tampered = await signCheckout();
		expectRefusal(await send(badSecret), "InvalidSignatureException", badSecret);
		expectRefusal(
			await send(tampered, { body: JSON.stringify(checkoutBody(arn)) }),
			"InvalidSignatureException",
			tampered,
		);
		const logged = spies
			.flatMap((spy) => spy.mock.calls)
			.map((args) =>
				args.map((a) => (a instanceof Error ? `${a.message}${a.stack}` : String(a))).join(" "),
			)
			.join("\n");
		for (const secret of [ISSUER.secretAccessKey, "wrong-secret-value"]) {
			expect(logged).not.toContain(secret);
		}
		expect(logged).not.toContain(signatureOf(badSecret));
		expect(logged).not.toContain(signatureOf(tampered));
	});
});

describe("AuthorizationException", () => {
	const limited = freshPrincipal(ISSUER.accountId, "onlyget");

	beforeAll(async () => {
		await putPrincipal(limited, { operations: ["GetLicense"] });
	});

	it("refuses an operation the key is not allowed, and reserves nothing", async () => {
		const before = await usageText(arn);
		const signed = await sign("CheckoutBorrowLicense", checkoutBody(arn), limited);
		const res = await send(signed);
		expectRefusal(res, "AuthorizationException", signed, limited);
		expect(res.json.message).toContain("CheckoutBorrowLicense");
		expect(await usageText(arn)).toBe(before);

		const count = await licenseCount();
		expectRefusal(
			await send(await sign("CreateLicense", licenseInput(), limited)),
			"AuthorizationException",
			undefined,
			limited,
		);
		expect(await licenseCount()).toBe(count);
	});

	it("allows the operation it is allowed", async () => {
		const out = expectOk(await send(await sign("GetLicense", { LicenseArn: arn }, limited)));
		expect((out.License as { LicenseArn: string }).LicenseArn).toBe(arn);
	});
});

describe("the operation is bound to the signature (SPEC §11)", () => {
	const HOST = new URL(ENDPOINT).hostname;

	/**
	 * Signs with the AWS SDK's own signer but leaves `unsigned` out of SignedHeaders,
	 * as a hand-rolled or hostile signer could (host can never be left out: the
	 * signer always signs it, and SigV4 itself requires it).
	 */
	async function signWithout(
		operation: string,
		body: unknown,
		unsigned: string[],
	): Promise<Signed> {
		const text = JSON.stringify(body);
		const signer = new SignatureV4({
			service: "license-manager",
			region: "us-east-1",
			credentials: ISSUER,
			sha256: Sha256,
			applyChecksum: false,
		});
		const signed = await signer.sign(
			{
				method: "POST",
				protocol: "http:",
				hostname: HOST,
				path: "/",
				headers: {
					host: HOST,
					"content-type": "application/x-amz-json-1.1",
					"x-amz-target": `AWSLicenseManager.${operation}`,
				},
				body: text,
			},
			{ signingDate: new Date(clock.now()), unsignableHeaders: new Set(unsigned) },
		);
		return { headers: { ...signed.headers } as Record<string, string>, body: text };
	}

	async function borrowStatus(token: string): Promise<unknown> {
		const rows = await objectRows(arn, "SELECT status FROM borrows WHERE token = ?", token);
		return rows[0]?.status;
	}

	it("refuses an Extend signed with host;x-amz-date only and replayed as CheckInLicense; the borrow stays", async () => {
		const borrowed = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		const token = borrowed.LicenseConsumptionToken as string;
		const usage = await usageText(arn);

		const signed = await signWithout(
			"ExtendLicenseConsumption",
			{ LicenseConsumptionToken: token },
			["content-type", "x-amz-target"],
		);
		expect(authorizationOf(signed)).toContain("SignedHeaders=host;x-amz-date,");
		const res = await send(signed, {
			headers: { "x-amz-target": "AWSLicenseManager.CheckInLicense" },
		});
		expectRefusal(res, "IncompleteSignatureException", signed);
		expect(res.json.message).toBe(
			"'Content-Type' must be a 'SignedHeader' in the AWS Authorization. " +
				"'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
		);
		// Sent as signed, unmodified, it is refused too: the rule is about what is signed.
		expectRefusal(await send(signed), "IncompleteSignatureException", signed);

		expect(await borrowStatus(token)).toBe("ACTIVE");
		expect(await usageText(arn)).toBe(usage);
		// And the borrow is still the caller's to extend, properly signed.
		const extended = await sdkClient(ISSUER).send(
			new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken: token }),
		);
		expect(extended.LicenseConsumptionToken).toBe(token);
	});

	it("names each required header left out of SignedHeaders", async () => {
		const cases: [string[], string][] = [
			[["x-amz-target"], "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."],
			[["content-type"], "'Content-Type' must be a 'SignedHeader' in the AWS Authorization."],
			[["x-amz-date"], "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."],
		];
		for (const [unsigned, message] of cases) {
			const signed = await signWithout("CheckoutBorrowLicense", checkoutBody(arn), unsigned);
			for (const name of unsigned) expect(authorizationOf(signed)).not.toContain(name);
			const res = await expectRefusedCheckout(signed, "IncompleteSignatureException");
			expect(res.json.message).toBe(message);
		}
	});

	it("content-type is required in SignedHeaders only when the request has one", async () => {
		const signed = await signWithout("GetLicenseUsage", { LicenseArn: arn }, ["content-type"]);
		expect(authorizationOf(signed)).toContain("SignedHeaders=host;x-amz-date;x-amz-target,");
		expectAwsError(await send(signed), "IncompleteSignatureException");
		// Without a Content-Type at all (a byte body, so the runtime adds none), it passes.
		const headers = new Headers(signed.headers);
		headers.delete("content-type");
		const res = await workerFetch(
			new Request(`${ENDPOINT}/`, {
				method: "POST",
				headers,
				body: new TextEncoder().encode(signed.body),
			}),
		);
		expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
		expect(res.status, await res.clone().text()).toBe(200);
		const out = (await res.json()) as { LicenseUsage: { EntitlementUsages: { Name: string }[] } };
		expect(out.LicenseUsage.EntitlementUsages.map((e) => e.Name)).toContain("Seats");
	});
});
