import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import {
	CheckoutBorrowLicenseCommand,
	type CheckoutBorrowLicenseCommandOutput,
	CreateLicenseCommand,
	type CreateLicenseCommandInput,
	type CreateLicenseVersionCommandInput,
	type EntitlementData,
	GetLicenseCommand,
	GetLicenseUsageCommand,
} from "@aws-sdk/client-license-manager";
import { expect } from "vitest";
import { clock, isoSeconds } from "../../src/clock";
import { call, sdkClient } from "../helpers/client";
import { d1Rows, stubOf } from "../helpers/d1";
import { licenseInput, uniqueToken } from "../helpers/licenses";

/**
 * Shared by lifecycle*.test.ts and seller*.test.ts (not a test file itself).
 * Everything goes through the helpers' clients, so a later SigV4 change there
 * keeps these tests working.
 */

export const client = sdkClient();
export const ACCOUNT = "111122223333";
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export type Reply = Awaited<ReturnType<typeof call>>;
export type Row = Record<string, unknown>;

export function now(): number {
	return clock.now();
}

/** The license object behind an ARN, and D1 rows: the shared helpers under their short names here. */
export { d1Rows as d1, isoSeconds, stubOf as stub };

/** Runs the license's alarm now (expiry, purge, outbox drain); true if one was scheduled. */
export function runAlarm(arn: string): Promise<boolean> {
	return runDurableObjectAlarm(stubOf(arn));
}

/**
 * Runs the alarm, then waits for any drain in flight (an alarm due at the real
 * current time may also fire by itself), so D1 holds everything the object decided.
 */
export async function drain(arn: string): Promise<void> {
	await runAlarm(arn);
	await runInDurableObject(stubOf(arn), (instance) => instance.drainOutbox());
}

export async function newLicense(
	overrides: Partial<CreateLicenseCommandInput> = {},
): Promise<string> {
	const out = await client.send(new CreateLicenseCommand(licenseInput(overrides)));
	expect(out.LicenseArn).toMatch(/^arn:aws:license-manager::111122223333:license:l-[0-9a-f]{32}$/);
	return out.LicenseArn as string;
}

export function borrow(
	arn: string,
	entitlements: EntitlementData[] = [{ Name: "Seats", Unit: "Count", Value: "2" }],
): Promise<CheckoutBorrowLicenseCommandOutput> {
	return client.send(
		new CheckoutBorrowLicenseCommand({
			LicenseArn: arn,
			ClientToken: uniqueToken("b"),
			DigitalSignatureMethod: "JWT_PS384",
			Entitlements: entitlements,
		}),
	);
}

/** A checkout body for the raw client. */
export function checkoutBody(
	arn: string,
	entitlements: EntitlementData[] = [{ Name: "Seats", Unit: "Count", Value: "1" }],
) {
	return {
		LicenseArn: arn,
		ClientToken: uniqueToken("b"),
		DigitalSignatureMethod: "JWT_PS384",
		Entitlements: entitlements,
	};
}

/** GetLicenseUsage as `{name: ConsumedValue}`. */
export async function usage(arn: string): Promise<Record<string, string>> {
	const out = await client.send(new GetLicenseUsageCommand({ LicenseArn: arn }));
	return Object.fromEntries(
		(out.LicenseUsage?.EntitlementUsages ?? []).map((u) => [u.Name, u.ConsumedValue]),
	);
}

/** GetLicenseUsage exactly as on the wire, to prove nothing changed. */
export async function usageText(arn: string): Promise<string> {
	const res = await call("GetLicenseUsage", { LicenseArn: arn });
	expect(res.status, res.text).toBe(200);
	return res.text;
}

export async function licenseText(arn: string, version?: string): Promise<string> {
	const res = await call(
		"GetLicense",
		version === undefined ? { LicenseArn: arn } : { LicenseArn: arn, Version: version },
	);
	expect(res.status, res.text).toBe(200);
	return res.text;
}

/** The SDK rejected with `name` (a 400 from the service) and, if given, a matching message. */
export async function rejects(
	promise: Promise<unknown>,
	name: string,
	message?: RegExp,
): Promise<Error> {
	let error: unknown;
	try {
		await promise;
	} catch (err) {
		error = err;
	}
	expect(error, `expected ${name}`).toBeInstanceOf(Error);
	const e = error as Error & { $metadata?: { httpStatusCode?: number } };
	expect(e.name, e.message).toBe(name);
	expect(e.$metadata?.httpStatusCode).toBe(400);
	if (message) expect(e.message).toMatch(message);
	return e;
}

/** A raw call answered with the AWS JSON 1.1 error `type`. */
export function expectError(res: Reply, type: string, message?: RegExp): void {
	expect(res.status, res.text).toBe(400);
	expect(res.json.__type, res.text).toBe(type);
	expect(res.headers.get("x-amzn-ErrorType")).toBe(type);
	if (message) expect(res.json.message).toMatch(message);
}

/** A CreateLicenseVersion request that repeats the current version, with members replaced. */
export async function versionInput(
	arn: string,
	overrides: Partial<CreateLicenseVersionCommandInput> = {},
): Promise<CreateLicenseVersionCommandInput> {
	const { License: l } = await client.send(new GetLicenseCommand({ LicenseArn: arn }));
	if (!l) throw new Error("GetLicense returned no License");
	return {
		LicenseArn: arn,
		LicenseName: l.LicenseName,
		ProductName: l.ProductName,
		Issuer: { Name: l.Issuer?.Name, ...(l.Issuer?.SignKey ? { SignKey: l.Issuer.SignKey } : {}) },
		HomeRegion: l.HomeRegion,
		Validity: l.Validity,
		Entitlements: l.Entitlements,
		ConsumptionConfiguration: l.ConsumptionConfiguration,
		...(l.LicenseMetadata ? { LicenseMetadata: l.LicenseMetadata } : {}),
		Status: "AVAILABLE",
		ClientToken: uniqueToken("v"),
		...overrides,
	};
}
