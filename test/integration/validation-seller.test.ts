import { beforeAll, describe, expect, it } from "vitest";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { licenseInput, uniqueToken } from "../helpers/fixtures";
import { call, usageText } from "../helpers/wire";

// Bad input to the lifecycle and seller operations: a precise ValidationException
// (never a 500), and the license and its borrows exactly as they were.
const V = "ValidationException";
let arn = "";
let token = "";
let input: ReturnType<typeof licenseInput>;

async function state(): Promise<string> {
	const license = await call("GetLicense", { LicenseArn: arn });
	const versions = await call("ListLicenseVersions", { LicenseArn: arn });
	return `${license.text}\n${versions.text}\n${await usageText(arn)}`;
}

beforeAll(async () => {
	input = licenseInput();
	arn = expectOk(await call("CreateLicense", input)).LicenseArn as string;
	const out = expectOk(
		await call("CheckoutBorrowLicense", {
			LicenseArn: arn,
			ClientToken: uniqueToken(),
			DigitalSignatureMethod: "JWT_PS384",
			Entitlements: [{ Name: "Seats", Unit: "Count", Value: "2" }],
		}),
	);
	token = out.LicenseConsumptionToken as string;
});

function versionBody(overrides: Record<string, unknown>): Record<string, unknown> {
	const { ClientToken: _c, ProductSKU: _p, Beneficiary: _b, ...body } = input;
	return {
		...body,
		LicenseArn: arn,
		Status: "AVAILABLE",
		ClientToken: uniqueToken("v"),
		...overrides,
	};
}

const cases: [string, string, () => Record<string, unknown>, RegExp][] = [
	[
		"CheckInLicense",
		"token missing",
		() => ({}),
		/'licenseConsumptionToken' failed .* not be null/,
	],
	[
		"CheckInLicense",
		"token a number",
		() => ({ LicenseConsumptionToken: 7 }),
		/must be of type string/,
	],
	[
		"CheckInLicense",
		"token empty",
		() => ({ LicenseConsumptionToken: "" }),
		/length greater than or equal to 1/,
	],
	[
		"CheckInLicense",
		"Beneficiary an object",
		() => ({ LicenseConsumptionToken: token, Beneficiary: {} }),
		/'beneficiary'/,
	],
	[
		"ExtendLicenseConsumption",
		"token missing",
		() => ({ DryRun: true }),
		/'licenseConsumptionToken'/,
	],
	[
		"ExtendLicenseConsumption",
		"DryRun a string",
		() => ({ LicenseConsumptionToken: token, DryRun: "yes" }),
		/'dryRun' .* boolean/,
	],
	[
		"DeleteLicense",
		"SourceVersion missing",
		() => ({ LicenseArn: arn }),
		/'sourceVersion' .* not be null/,
	],
	[
		"DeleteLicense",
		"SourceVersion not a number",
		() => ({ LicenseArn: arn, SourceVersion: "v1" }),
		/'sourceVersion' .* regular expression/,
	],
	[
		"DeleteLicense",
		"LicenseArn not an ARN",
		() => ({ LicenseArn: "license-1", SourceVersion: "1" }),
		/'licenseArn'/,
	],
	[
		"CreateLicenseVersion",
		"Status not in the enum",
		() => versionBody({ Status: "ACTIVE" }),
		/'status' .* enum value set/,
	],
	[
		"CreateLicenseVersion",
		"Status missing",
		() => versionBody({ Status: undefined }),
		/'status' .* not be null/,
	],
	[
		"CreateLicenseVersion",
		"SourceVersion 0",
		() => versionBody({ SourceVersion: "0" }),
		/'sourceVersion'/,
	],
	[
		"CreateLicenseVersion",
		"ClientToken blank",
		() => versionBody({ ClientToken: " " }),
		/'clientToken' .* \\S\+/,
	],
	[
		"ListLicenseVersions",
		"MaxResults 0",
		() => ({ LicenseArn: arn, MaxResults: 0 }),
		/'maxResults'/,
	],
	[
		"ListLicenseVersions",
		"NextToken forged",
		() => ({ LicenseArn: arn, NextToken: "MQ.AAAA" }),
		/NextToken is not valid/,
	],
	[
		"GetLicense",
		"Version a number",
		() => ({ LicenseArn: arn, Version: 1 }),
		/'version' .* type string/,
	],
];

describe("bad input to lifecycle and seller operations", () => {
	it.each(cases)(
		"%s: %s → ValidationException, nothing changes",
		async (op, _what, body, message) => {
			const before = await state();
			expectAwsError(await call(op, body()), V, message);
			expect(await state()).toBe(before);
		},
	);

	it("an unknown or foreign-looking consumption token is ResourceNotFoundException, not a validation error", async () => {
		const before = await state();
		for (const bogus of ["not-a-token", `${token.slice(0, 32)}${"0".repeat(32)}`]) {
			expectAwsError(
				await call("CheckInLicense", { LicenseConsumptionToken: bogus }),
				"ResourceNotFoundException",
			);
			expectAwsError(
				await call("ExtendLicenseConsumption", { LicenseConsumptionToken: bogus }),
				"ResourceNotFoundException",
			);
		}
		expect(await state()).toBe(before);
	});
});
