import { beforeAll, describe, expect, it } from "vitest";
import { parseLicenseArn } from "../../src/licenseIds";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput, uniqueToken } from "../helpers/fixtures";
import { ISSUER, OTHER, putPrincipal, type TestPrincipal } from "../helpers/principals";
import { call, usageText } from "../helpers/wire";

/** SPEC §2: who may see, consume and change a license, across accounts. */

const THIRD: TestPrincipal = {
	accessKeyId: "AKIDACCESSTHIRD0001",
	secretAccessKey: "third-account-secret",
	accountId: "777788889999",
};

beforeAll(async () => {
	await putPrincipal(THIRD);
});

const as = (principal: TestPrincipal, op: string, body: unknown) => call(op, body, {}, principal);

async function borrowAs(principal: TestPrincipal, arn: string): Promise<string> {
	const out = expectOk(await as(principal, "CheckoutBorrowLicense", checkoutBody(arn)));
	return out.LicenseConsumptionToken as string;
}

async function listedArns(principal: TestPrincipal, body: Record<string, unknown> = {}) {
	const out = expectOk(await as(principal, "ListLicenses", body));
	return (out.Licenses as { LicenseArn: string }[]).map((l) => l.LicenseArn);
}

function versionInput(arn: string): Record<string, unknown> {
	const { ProductSKU: _sku, Beneficiary: _b, ...rest } = licenseInput({ LicenseName: "Hijacked" });
	return {
		...rest,
		LicenseArn: arn,
		Status: "AVAILABLE",
		SourceVersion: "1",
		ClientToken: uniqueToken("v"),
	};
}

/** A token of the same license that was never issued: what an unknown token answers. */
function unknownTokenFor(arn: string): string {
	const id = parseLicenseArn(arn)?.licenseId ?? "";
	return `${id.slice(2)}${"0".repeat(32)}`;
}

describe('a license for "My Beneficiary" (AWS\'s sample): only the issuer', () => {
	let arn: string;
	let live: string;

	beforeAll(async () => {
		arn = await createLicense({ Beneficiary: "My Beneficiary" });
		live = await borrowAs(ISSUER, arn);
	});

	it("lets the issuer borrow, extend and check in", async () => {
		const token = await borrowAs(ISSUER, arn);
		const extended = expectOk(
			await as(ISSUER, "ExtendLicenseConsumption", { LicenseConsumptionToken: token }),
		);
		expect(extended.LicenseConsumptionToken).toBe(token);
		expectOk(await as(ISSUER, "CheckInLicense", { LicenseConsumptionToken: token }));
		expectOk(await as(ISSUER, "GetLicense", { LicenseArn: arn }));
	});

	it("denies another account checkout, GetLicense and GetLicenseUsage", async () => {
		const before = await usageText(arn);
		expectAwsError(
			await as(OTHER, "CheckoutBorrowLicense", checkoutBody(arn)),
			"AccessDeniedException",
		);
		expectAwsError(await as(OTHER, "GetLicense", { LicenseArn: arn }), "AccessDeniedException");
		expectAwsError(
			await as(OTHER, "GetLicenseUsage", { LicenseArn: arn }),
			"AccessDeniedException",
		);
		expectAwsError(
			await as(OTHER, "ListLicenseVersions", { LicenseArn: arn }),
			"AccessDeniedException",
		);
		expect(await usageText(arn)).toBe(before);
	});

	it("is not in another account's ListLicenses, even when asked for by ARN", async () => {
		expect(await listedArns(ISSUER, { LicenseArns: [arn] })).toEqual([arn]);
		expect(await listedArns(OTHER)).not.toContain(arn);
		expect(await listedArns(OTHER, { LicenseArns: [arn] })).toEqual([]);
	});

	it("denies another account CreateLicenseVersion and DeleteLicense", async () => {
		expectAwsError(
			await as(OTHER, "CreateLicenseVersion", versionInput(arn)),
			"AccessDeniedException",
		);
		expectAwsError(
			await as(OTHER, "DeleteLicense", { LicenseArn: arn, SourceVersion: "1" }),
			"AccessDeniedException",
		);
		const license = expectOk(await as(ISSUER, "GetLicense", { LicenseArn: arn })).License as {
			Version: string;
			Status: string;
			LicenseName: string;
		};
		expect(license).toMatchObject({
			Version: "1",
			Status: "AVAILABLE",
			LicenseName: "Test license",
		});
	});

	it("answers another account's use of the issuer's token as an unknown token", async () => {
		const before = await usageText(arn);
		const unknown = unknownTokenFor(arn);
		for (const op of ["CheckInLicense", "ExtendLicenseConsumption"]) {
			const stolen = expectAwsError(
				await as(OTHER, op, { LicenseConsumptionToken: live }),
				"ResourceNotFoundException",
			);
			const never = expectAwsError(
				await as(OTHER, op, { LicenseConsumptionToken: unknown }),
				"ResourceNotFoundException",
			);
			expect(stolen).toBe(never);
		}
		expect(await usageText(arn)).toBe(before);
		// The borrow is still live: its owner can still extend it.
		expectOk(await as(ISSUER, "ExtendLicenseConsumption", { LicenseConsumptionToken: live }));
	});
});

describe("a license whose Beneficiary names an account", () => {
	for (const beneficiary of [OTHER.accountId, `arn:aws:iam::${OTHER.accountId}:root`]) {
		describe(`Beneficiary ${beneficiary}`, () => {
			let arn: string;

			beforeAll(async () => {
				arn = await createLicense({ Beneficiary: beneficiary });
			});

			it("lets the beneficiary borrow, read and check in its own borrow", async () => {
				const before = await usageText(arn);
				const token = await borrowAs(OTHER, arn);
				expect(await usageText(arn)).not.toBe(before);
				expectOk(await as(OTHER, "GetLicense", { LicenseArn: arn }));
				expectOk(await as(OTHER, "GetLicenseUsage", { LicenseArn: arn }));
				expectOk(await as(OTHER, "ExtendLicenseConsumption", { LicenseConsumptionToken: token }));
				expectOk(await as(OTHER, "CheckInLicense", { LicenseConsumptionToken: token }));
				expect(await usageText(arn)).toBe(before);
			});

			it("denies a third account", async () => {
				const before = await usageText(arn);
				expectAwsError(
					await as(THIRD, "CheckoutBorrowLicense", checkoutBody(arn)),
					"AccessDeniedException",
				);
				expectAwsError(await as(THIRD, "GetLicense", { LicenseArn: arn }), "AccessDeniedException");
				expectAwsError(
					await as(THIRD, "GetLicenseUsage", { LicenseArn: arn }),
					"AccessDeniedException",
				);
				expect(await usageText(arn)).toBe(before);
			});

			it("does not let the issuer check in or extend the beneficiary's borrow", async () => {
				const token = await borrowAs(OTHER, arn);
				const before = await usageText(arn);
				for (const op of ["CheckInLicense", "ExtendLicenseConsumption"]) {
					expectAwsError(
						await as(ISSUER, op, { LicenseConsumptionToken: token }),
						"ResourceNotFoundException",
					);
					expectAwsError(
						await as(THIRD, op, { LicenseConsumptionToken: token }),
						"ResourceNotFoundException",
					);
				}
				expect(await usageText(arn)).toBe(before);
				expectOk(await as(OTHER, "CheckInLicense", { LicenseConsumptionToken: token }));
			});

			it("gives the beneficiary no seller rights", async () => {
				expect(await listedArns(OTHER)).not.toContain(arn);
				expectAwsError(
					await as(OTHER, "CreateLicenseVersion", versionInput(arn)),
					"AccessDeniedException",
				);
				expectAwsError(
					await as(OTHER, "DeleteLicense", { LicenseArn: arn, SourceVersion: "1" }),
					"AccessDeniedException",
				);
			});
		});
	}
});

describe("ClientTokens are scoped per account", () => {
	it("another account replaying the issuer's ClientToken gets its own borrow, never the stored reply", async () => {
		const arn = await createLicense({ Beneficiary: OTHER.accountId });
		const body = checkoutBody(arn, { ClientToken: uniqueToken("shared") });
		const seats = async () =>
			(
				JSON.parse(await usageText(arn)) as {
					LicenseUsage: { EntitlementUsages: { Name: string; ConsumedValue: string }[] };
				}
			).LicenseUsage.EntitlementUsages.find((e) => e.Name === "Seats")?.ConsumedValue;

		const first = await as(ISSUER, "CheckoutBorrowLicense", body);
		expectOk(first);
		expect(await seats()).toBe("1");
		const replay = await as(ISSUER, "CheckoutBorrowLicense", body);
		expect(replay.text).toBe(first.text);

		const other = await as(OTHER, "CheckoutBorrowLicense", body);
		expectOk(other);
		expect(other.text).not.toBe(first.text);
		expect(other.json.LicenseConsumptionToken).not.toBe(first.json.LicenseConsumptionToken);
		expect(await seats()).toBe("2");
		// Each account's borrow is its own.
		expectOk(
			await as(OTHER, "CheckInLicense", {
				LicenseConsumptionToken: other.json.LicenseConsumptionToken,
			}),
		);
		expectAwsError(
			await as(OTHER, "CheckInLicense", {
				LicenseConsumptionToken: first.json.LicenseConsumptionToken,
			}),
			"ResourceNotFoundException",
		);
		expect(await seats()).toBe("1");
	});

	it("another account's replay on a license it may not borrow is refused, not answered", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, { ClientToken: uniqueToken("mine") });
		const first = await as(ISSUER, "CheckoutBorrowLicense", body);
		expectOk(first);
		const other = await as(OTHER, "CheckoutBorrowLicense", body);
		expectAwsError(other, "AccessDeniedException");
		expect(other.text).not.toContain(first.json.LicenseConsumptionToken as string);
	});
});
