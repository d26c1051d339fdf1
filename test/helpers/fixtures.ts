import type { CreateLicenseCommandInput } from "@aws-sdk/client-license-manager";
import { expect } from "vitest";
import type { OutboxRecord } from "../../src/records/outbox";
import { expectOk } from "./expectations";
import { ISSUER } from "./principals";
import { call } from "./wire";

/** Test data: request bodies with sensible defaults, unique tokens, licenses made for a test. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

let counter = 0;

/** A unique ClientToken per call, so each test file's licenses are its own. */
export function uniqueToken(prefix = "t"): string {
	counter += 1;
	return `${prefix}${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 8)}`;
}

export function licenseInput(
	overrides: Partial<CreateLicenseCommandInput> = {},
): CreateLicenseCommandInput {
	return {
		LicenseName: "Test license",
		ProductName: "Test product",
		ProductSKU: "SKU-1",
		Issuer: { Name: "Test Issuer" },
		HomeRegion: "us-east-1",
		Validity: { Begin: "2020-01-01T00:00:00Z", End: "2099-01-01T00:00:00Z" },
		Entitlements: [
			{ Name: "Seats", Unit: "Count", MaxCount: 7 },
			{ Name: "Hours", Unit: "Seconds", MaxCount: 3600 },
			{ Name: "Tier", Unit: "None", Value: "Enterprise" },
		],
		Beneficiary: "My Beneficiary",
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
		},
		ClientToken: uniqueToken("create"),
		...overrides,
	};
}

/** Creates a license as the issuer, through the wire, and returns its ARN. */
export async function createLicense(
	overrides: Partial<CreateLicenseCommandInput> = {},
): Promise<string> {
	const arn = expectOk(await call("CreateLicense", licenseInput(overrides))).LicenseArn;
	expect(arn).toMatch(
		new RegExp(`^arn:aws:license-manager::${ISSUER.accountId}:license:l-[0-9a-f]{32}$`),
	);
	return arn as string;
}

export interface CheckoutBody {
	LicenseArn: string;
	ClientToken: string;
	DigitalSignatureMethod: string;
	Entitlements: { Name: string; Unit: string; Value?: string }[];
	[member: string]: unknown;
}

/**
 * A valid CheckoutBorrowLicense body for `arn` (one Seat), with members replaced,
 * added, or removed with `undefined`.
 */
export function checkoutBody(arn: string, overrides: Record<string, unknown> = {}): CheckoutBody {
	const body: Record<string, unknown> = {
		LicenseArn: arn,
		ClientToken: uniqueToken("b"),
		DigitalSignatureMethod: "JWT_PS384",
		Entitlements: [{ Name: "Seats", Unit: "Count", Value: "1" }],
		...overrides,
	};
	for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
	return body as CheckoutBody;
}

/** One outbox record of every kind about one license and one borrow, for replaying by hand. */
export function sampleRecords(arn: string, token: string, doc: object) {
	const at = "2026-01-01T00:00:00Z";
	const end = "2026-01-01T01:00:00Z";
	const who = { accountId: "111122223333", accessKeyId: "AKIDLOCALDEV0000001", requestId: "r-1" };
	const license = (version: number): OutboxRecord => ({
		kind: "license",
		arn,
		licenseId: arn.slice(-34),
		issuerAccount: who.accountId,
		beneficiary: "My Beneficiary",
		beneficiaryAccount: null,
		productSku: "SKU-1",
		fingerprint: "aws:111122223333:Test Issuer:issuer-fingerprint",
		status: "AVAILABLE",
		version,
		homeRegion: "us-east-1",
		createdAt: at,
		updatedAt: `2026-01-0${version}T00:00:00Z`,
		doc: JSON.stringify({ ...doc, LicenseArn: arn, Version: String(version) }),
		newVersion: true,
	});
	const checkout: OutboxRecord = {
		kind: "checkout",
		token,
		licenseArn: arn,
		...who,
		clientToken: "abc",
		nodeId: null,
		entitlements: "[]",
		issuedAt: at,
		expiresAt: end,
	};
	const expired: OutboxRecord = {
		kind: "checkout-status",
		token,
		status: "EXPIRED",
		expiresAt: end,
		returnedAt: end,
	};
	const audit: OutboxRecord = {
		kind: "audit",
		eventId: `r-1:${token}`,
		at: `${at.slice(0, -1)}.000Z`,
		...who,
		operation: "CheckoutBorrowLicense",
		resourceArn: arn,
		detail: token,
	};
	return { license, checkout, expired, audit };
}
