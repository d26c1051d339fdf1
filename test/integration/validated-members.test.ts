import { describe, expect, it } from "vitest";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput, uniqueToken } from "../helpers/fixtures";
import { d1Count } from "../helpers/storage";
import { call } from "../helpers/wire";

/**
 * Rules decided on the validated member, never on the raw one: a null (or
 * otherwise invalid) member is as absent as a missing one, and a member whose
 * content is ignored still has its model type.
 */

const V = "ValidationException";
const issuedLicenses = () =>
	d1Count("SELECT COUNT(*) AS n FROM licenses WHERE issuer_account = ?", "111122223333");

describe("MaxCount null on a counted entitlement (the validated member decides)", () => {
	const NEEDS_MAX =
		"1 validation error detected: Entitlement 'Seats' is counted in Count: it needs MaxCount unless Overage is true";
	const counted = (extra: object) => ({ Name: "Seats", Unit: "Count", ...extra });

	it("refuses CreateLicense, and stores no license", async () => {
		const before = await issuedLicenses();
		const body = { ...licenseInput(), Entitlements: [counted({ MaxCount: null })] };
		expectAwsError(await call("CreateLicense", body), V, NEEDS_MAX);
		expect(await issuedLicenses()).toBe(before);
	});

	it("refuses CreateLicenseVersion, and the license keeps its version", async () => {
		const input = licenseInput();
		const arn = expectOk(await call("CreateLicense", input)).LicenseArn as string;
		const { ClientToken: _c, ProductSKU: _p, Beneficiary: _b, ...body } = input;
		const res = await call("CreateLicenseVersion", {
			...body,
			LicenseArn: arn,
			Status: "AVAILABLE",
			ClientToken: uniqueToken("v"),
			Entitlements: [counted({ MaxCount: null, Overage: null })],
		});
		expectAwsError(res, V, NEEDS_MAX);
		const versions = expectOk(await call("ListLicenseVersions", { LicenseArn: arn }));
		expect((versions.Licenses as unknown[]).length).toBe(1);
	});

	it("still reports a MaxCount of the wrong type once, as a type error", async () => {
		const body = { ...licenseInput(), Entitlements: [counted({ MaxCount: "7" })] };
		expectAwsError(
			await call("CreateLicense", body),
			V,
			"1 validation error detected: Value '7' at 'entitlements.1.member.maxCount' failed to satisfy constraint: Member must be an integer",
		);
	});

	it("accepts MaxCount null with Overage true: unlimited, as without MaxCount", async () => {
		const body = { ...licenseInput(), Entitlements: [counted({ MaxCount: null, Overage: true })] };
		const arn = expectOk(await call("CreateLicense", body)).LicenseArn as string;
		const big = { Entitlements: [{ Name: "Seats", Unit: "Count", Value: "1000" }] };
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn, big)));
	});
});

describe("a None entitlement's Value in a checkout is ignored, but typed", () => {
	it("refuses a number, accepts any string", async () => {
		const arn = await createLicense();
		const tier = (Value: unknown) => ({ Entitlements: [{ Name: "Tier", Unit: "None", Value }] });
		expectAwsError(
			await call("CheckoutBorrowLicense", checkoutBody(arn, tier(5))),
			V,
			"1 validation error detected: Value 5 at 'entitlements.1.member.value' failed to satisfy constraint: Member must be of type string",
		);
		const out = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn, tier("anything"))));
		expect(out.EntitlementsAllowed).toEqual([{ Name: "Tier", Unit: "None", Value: "Enterprise" }]);
	});
});
