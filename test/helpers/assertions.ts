import type { CreateLicenseCommandInput } from "@aws-sdk/client-license-manager";
import { expect } from "vitest";
import { call } from "./client";
import { licenseInput, uniqueToken } from "./licenses";

export type Reply = Awaited<ReturnType<typeof call>>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const JSON_11 = "application/x-amz-json-1.1";

/**
 * An AWS JSON 1.1 error, exactly: status 400 (500 only for ServerInternalException),
 * a body of `__type`, `message` and `Message` (one value), and the headers clients read.
 */
export function expectAwsError(res: Reply, type: string, message?: string | RegExp): string {
	expect(res.status, res.text).toBe(type === "ServerInternalException" ? 500 : 400);
	expect(res.json.__type, res.text).toBe(type);
	const extra = type === "RedirectException" ? ["Location"] : [];
	const keys = Object.keys(res.json).filter((k) => !extra.includes(k));
	expect(keys.sort()).toEqual(["Message", "__type", "message"]);
	expect(typeof res.json.message).toBe("string");
	expect(res.json.Message).toBe(res.json.message);
	expect(res.headers.get("x-amzn-ErrorType")).toBe(type);
	expect(res.headers.get("x-amzn-RequestId")).toMatch(UUID);
	expect(Number.isNaN(Date.parse(res.headers.get("Date") ?? ""))).toBe(false);
	expect(res.headers.get("Content-Type")).toBe(JSON_11);
	const text = res.json.message as string;
	if (typeof message === "string") expect(text).toBe(message);
	else if (message) expect(text).toMatch(message);
	return text;
}

export function expectOk(res: Reply): Record<string, unknown> {
	expect(res.status, res.text).toBe(200);
	expect(res.headers.get("Content-Type")).toBe(JSON_11);
	expect(res.headers.get("x-amzn-RequestId")).toMatch(UUID);
	return res.json;
}

/** Creates a license through the wire and returns its ARN. */
export async function createLicense(
	overrides: Partial<CreateLicenseCommandInput> = {},
): Promise<string> {
	const out = expectOk(await call("CreateLicense", licenseInput(overrides)));
	return out.LicenseArn as string;
}

/** The raw GetLicenseUsage body: compare before/after to prove nothing changed. */
export async function usageText(arn: string): Promise<string> {
	const res = await call("GetLicenseUsage", { LicenseArn: arn });
	expect(res.status, res.text).toBe(200);
	return res.text;
}

export async function consumed(arn: string, name: string): Promise<string | undefined> {
	const usage = JSON.parse(await usageText(arn)) as {
		LicenseUsage: { EntitlementUsages: { Name: string; ConsumedValue: string }[] };
	};
	return usage.LicenseUsage.EntitlementUsages.find((e) => e.Name === name)?.ConsumedValue;
}

/** A valid CheckoutBorrowLicense body for `arn`, with members replaced (or removed with `undefined`). */
export function checkoutBody(
	arn: string,
	overrides: Record<string, unknown> = {},
): Record<string, unknown> {
	const body: Record<string, unknown> = {
		LicenseArn: arn,
		ClientToken: uniqueToken(),
		DigitalSignatureMethod: "JWT_PS384",
		Entitlements: [{ Name: "Seats", Unit: "Count", Value: "1" }],
		...overrides,
	};
	for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
	return body;
}

/** A bad checkout: the expected error, and the license's usage unchanged. */
export async function expectRefusedCheckout(
	arn: string,
	body: unknown,
	type: string,
	message?: string | RegExp,
): Promise<string> {
	const before = await usageText(arn);
	const text = expectAwsError(await call("CheckoutBorrowLicense", body), type, message);
	expect(await usageText(arn)).toBe(before);
	return text;
}
