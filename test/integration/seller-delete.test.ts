import {
	CheckInLicenseCommand,
	CreateLicenseVersionCommand,
	DeleteLicenseCommand,
	ExtendLicenseConsumptionCommand,
	GetLicenseCommand,
	ListLicensesCommand,
} from "@aws-sdk/client-license-manager";
import { describe, expect, it } from "vitest";
import { advanceClockForTests, clock, isoSeconds } from "../../src/clock";
import { expectAwsError, expectSdkError } from "../helpers/expectations";
import { checkoutBody, createLicense, HOUR, MINUTE, uniqueToken } from "../helpers/fixtures";
import { borrow, sdkClient, versionInput } from "../helpers/sdk";
import { d1Rows, drainOutbox } from "../helpers/storage";
import { call, licenseText, usage } from "../helpers/wire";

const client = sdkClient();

const del = (arn: string, sourceVersion: string) =>
	client.send(new DeleteLicenseCommand({ LicenseArn: arn, SourceVersion: sourceVersion }));

describe("DeleteLicense", () => {
	it("a SourceVersion that is not current → ConflictException, license untouched", async () => {
		const arn = await createLicense();
		await client.send(new CreateLicenseVersionCommand(await versionInput(arn)));
		const before = await licenseText(arn);
		await expectSdkError(del(arn, "1"), "ConflictException", /SourceVersion/);
		await expectSdkError(del(arn, "3"), "ConflictException", /SourceVersion/);
		expect(await licenseText(arn)).toBe(before);
		await borrow(arn);
	});

	it("live borrows → ConflictException; once they end (check-in or expiry) it deletes", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		await expectSdkError(del(arn, "1"), "ConflictException", /live borrow/);
		await client.send(
			new CheckInLicenseCommand({ LicenseConsumptionToken: a.LicenseConsumptionToken }),
		);

		await borrow(arn);
		await expectSdkError(del(arn, "1"), "ConflictException", /live borrow/);
		// Expired by time, no alarm run yet: no longer live.
		advanceClockForTests(HOUR + 1000);
		const out = await del(arn, "1");
		expect(out.Status).toBe("DELETED");
		expect((await usage(arn)).Seats).toBe("0");
	});

	it("afterwards: DELETED with DeletionDate; consumption answers ResourceNotFoundException; records stay readable", async () => {
		const arn = await createLicense({ ProductSKU: `SKU-DEL-${uniqueToken()}` });
		const done = await borrow(arn);
		const token = done.LicenseConsumptionToken as string;
		await client.send(new CheckInLicenseCommand({ LicenseConsumptionToken: token }));
		advanceClockForTests(5 * MINUTE);

		const t = clock.now();
		const out = await del(arn, "1");
		expect(out.Status).toBe("DELETED");
		expect(out.DeletionDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
		expect(
			Math.abs(Date.parse(out.DeletionDate as string) - Date.parse(isoSeconds(t))),
		).toBeLessThanOrEqual(1000);
		const raw = await call("DeleteLicense", { LicenseArn: arn, SourceVersion: "1" });
		expect(raw.status, raw.text).toBe(200);
		expect(raw.json).toEqual({ Status: "DELETED", DeletionDate: out.DeletionDate });

		// Every new checkout: the license no longer exists for consumption.
		for (const entitlements of [
			[{ Name: "Seats", Unit: "Count", Value: "1" }],
			[{ Name: "Tier", Unit: "None" }],
			[{ Name: "Nope", Unit: "Count" }],
		]) {
			expectAwsError(
				await call("CheckoutBorrowLicense", checkoutBody(arn, { Entitlements: entitlements })),
				"ResourceNotFoundException",
			);
		}
		await expectSdkError(borrow(arn), "ResourceNotFoundException");
		// Old tokens: check-in and extend.
		await expectSdkError(
			client.send(new CheckInLicenseCommand({ LicenseConsumptionToken: token })),
			"ResourceNotFoundException",
		);
		await expectSdkError(
			client.send(new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken: token })),
			"ResourceNotFoundException",
		);
		// No more versions.
		await expectSdkError(
			client.send(
				new CreateLicenseVersionCommand({
					...(await versionInput(arn)),
					ClientToken: uniqueToken("v"),
				}),
			),
			"ConflictException",
		);

		// Still readable, DELETED.
		const got = (await client.send(new GetLicenseCommand({ LicenseArn: arn }))).License;
		expect(got).toMatchObject({ LicenseArn: arn, Status: "DELETED", Version: "1" });
		expect((await usage(arn)).Seats).toBe("0");
		const listed = await client.send(
			new ListLicensesCommand({
				LicenseArns: [arn],
				Filters: [{ Name: "Status", Values: ["DELETED"] }],
			}),
		);
		expect(listed.Licenses?.map((l) => [l.LicenseArn, l.Status])).toEqual([[arn, "DELETED"]]);
		const sku = got?.ProductSKU as string;
		const bySku = await client.send(
			new ListLicensesCommand({ Filters: [{ Name: "ProductSKU", Values: [sku] }] }),
		);
		expect(bySku.Licenses?.map((l) => l.Status)).toEqual(["DELETED"]);

		// D1 keeps every row.
		await drainOutbox(arn);
		expect(await d1Rows("SELECT status, version FROM licenses WHERE license_arn = ?", arn)).toEqual(
			[{ status: "DELETED", version: 1 }],
		);
		expect(await d1Rows("SELECT version FROM license_versions WHERE license_arn = ?", arn)).toEqual(
			[{ version: 1 }],
		);
		expect(
			await d1Rows("SELECT COUNT(*) AS n FROM license_entitlements WHERE license_arn = ?", arn),
		).toEqual([{ n: 3 }]);
		expect(await d1Rows("SELECT status FROM checkouts WHERE consumption_token = ?", token)).toEqual(
			[{ status: "CHECKED_IN" }],
		);
		expect(
			await d1Rows(
				"SELECT operation FROM audit_events WHERE resource_arn = ? ORDER BY operation",
				arn,
			),
		).toEqual([
			{ operation: "CheckInLicense" },
			{ operation: "CheckoutBorrowLicense" },
			{ operation: "CreateLicense" },
			{ operation: "DeleteLicense" },
		]);
	});

	it("racing a checkout: never both succeed", async () => {
		for (let round = 0; round < 3; round++) {
			const arn = await createLicense();
			const [checkout, deletion] = await Promise.all([
				call("CheckoutBorrowLicense", checkoutBody(arn)),
				call("DeleteLicense", { LicenseArn: arn, SourceVersion: "1" }),
			]);
			if (checkout.status === 200) {
				expectAwsError(deletion, "ConflictException", /live borrow/);
				expect((await usage(arn)).Seats).toBe("1");
			} else {
				expectAwsError(checkout, "ResourceNotFoundException");
				expect(deletion.status, deletion.text).toBe(200);
				expect((await usage(arn)).Seats).toBe("0");
			}
		}
	});

	it("an unknown license → ResourceNotFoundException", async () => {
		await expectSdkError(
			del("arn:aws:license-manager::111122223333:license:l-00000000000000000000000000000000", "1"),
			"ResourceNotFoundException",
		);
	});
});
