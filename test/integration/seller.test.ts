import { runInDurableObject } from "cloudflare:test";
import {
	CheckInLicenseCommand,
	CreateLicenseVersionCommand,
	GetLicenseCommand,
	GetLicenseUsageCommand,
	ListLicenseVersionsCommand,
} from "@aws-sdk/client-license-manager";
import { describe, expect, it } from "vitest";
import { advanceClockForTests, clock, isoSeconds } from "../../src/clock";
import { expectAwsError, expectSdkError } from "../helpers/expectations";
import { checkoutBody, createLicense, HOUR, uniqueToken } from "../helpers/fixtures";
import { borrow, sdkClient, versionInput } from "../helpers/sdk";
import { d1Rows, objectRows, stubOf } from "../helpers/storage";
import { call, licenseText, usage, usageText } from "../helpers/wire";

const client = sdkClient();

const createVersion = async (arn: string, overrides: Parameters<typeof versionInput>[1] = {}) =>
	client.send(new CreateLicenseVersionCommand(await versionInput(arn, overrides)));

describe("CreateLicenseVersion", () => {
	it("mints 2 then 3; GetLicense reads any version, the latest by default", async () => {
		const arn = await createLicense({ LicenseName: "Original" });
		const original = JSON.parse(await licenseText(arn)).License;
		expect(original.Version).toBe("1");

		const v2 = await createVersion(arn, { LicenseName: "Second", SourceVersion: "1" });
		expect(v2).toMatchObject({ LicenseArn: arn, Version: "2", Status: "AVAILABLE" });
		const v3 = await createVersion(arn, {
			LicenseName: "Third",
			Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 9 }],
			SourceVersion: "2",
		});
		expect(v3).toMatchObject({ LicenseArn: arn, Version: "3", Status: "AVAILABLE" });

		expect(JSON.parse(await licenseText(arn, "1")).License).toEqual(original);
		const latest = (await client.send(new GetLicenseCommand({ LicenseArn: arn }))).License;
		expect(latest).toMatchObject({
			LicenseArn: arn,
			LicenseName: "Third",
			Version: "3",
			Status: "AVAILABLE",
			Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 9 }],
			ProductSKU: original.ProductSKU,
			Beneficiary: original.Beneficiary,
			HomeRegion: original.HomeRegion,
		});
		expect(
			(await client.send(new GetLicenseCommand({ LicenseArn: arn, Version: "2" }))).License
				?.LicenseName,
		).toBe("Second");
		await expectSdkError(
			client.send(new GetLicenseCommand({ LicenseArn: arn, Version: "4" })),
			"ResourceNotFoundException",
		);
		// Usage follows the current version's entitlements.
		const entitlementUsages = (await client.send(new GetLicenseUsageCommand({ LicenseArn: arn })))
			.LicenseUsage?.EntitlementUsages;
		expect(entitlementUsages).toEqual([
			{ Name: "Seats", ConsumedValue: "0", MaxCount: "9", Unit: "Count" },
		]);
	});

	it("a version whose commit rolls back leaves the license as stored, in memory too; the next one is version 2", async () => {
		const arn = await createLicense({ LicenseName: "Original" });
		const original = await licenseText(arn);
		// The outbox table parked: the commit's last statement fails, after the version rows.
		const parkOutbox = (sql: string) =>
			runInDurableObject(stubOf(arn), (_, state) => {
				state.storage.sql.exec(sql);
			});
		await parkOutbox("ALTER TABLE outbox RENAME TO outbox_parked");
		expectAwsError(
			await call(
				"CreateLicenseVersion",
				await versionInput(arn, { LicenseName: "Rolled back", SourceVersion: "1" }),
			),
			"ServerInternalException",
			"The server experienced an internal error. Try again.",
		);
		expect(await licenseText(arn)).toBe(original);
		expect(await objectRows(arn, "SELECT version FROM versions")).toEqual([{ version: 1 }]);
		await parkOutbox("ALTER TABLE outbox_parked RENAME TO outbox");
		const v2 = await createVersion(arn, { LicenseName: "Second", SourceVersion: "1" });
		expect(v2).toMatchObject({ LicenseArn: arn, Version: "2" });
		expect(JSON.parse(await licenseText(arn)).License).toMatchObject({
			LicenseName: "Second",
			Version: "2",
		});
	});

	it("concurrent versions from the same SourceVersion: exactly one wins, the rest → ConflictException", async () => {
		const arn = await createLicense();
		const inputs = await Promise.all(
			Array.from({ length: 6 }, (_, i) =>
				versionInput(arn, { LicenseName: `Racer ${i}`, SourceVersion: "1" }),
			),
		);
		const replies = await Promise.all(inputs.map((input) => call("CreateLicenseVersion", input)));
		const won = replies.filter((r) => r.status === 200);
		expect(won).toHaveLength(1);
		expect(won[0]?.json).toEqual({ LicenseArn: arn, Version: "2", Status: "AVAILABLE" });
		for (const r of replies.filter((x) => x.status !== 200)) expectAwsError(r, "ConflictException");
		const versions = await client.send(new ListLicenseVersionsCommand({ LicenseArn: arn }));
		expect(versions.Licenses?.map((l) => l.Version)).toEqual(["1", "2"]);
	});

	it("ListLicenseVersions lists them in order, and pages with MaxResults 1 and NextToken", async () => {
		const arn = await createLicense({ LicenseName: "v1" });
		await createVersion(arn, { LicenseName: "v2" });
		await createVersion(arn, { LicenseName: "v3" });

		const all = await client.send(new ListLicenseVersionsCommand({ LicenseArn: arn }));
		expect(all.Licenses?.map((l) => [l.Version, l.LicenseName])).toEqual([
			["1", "v1"],
			["2", "v2"],
			["3", "v3"],
		]);
		expect(all.NextToken).toBeUndefined();

		const seen: string[] = [];
		let nextToken: string | undefined;
		let pages = 0;
		do {
			const page = await client.send(
				new ListLicenseVersionsCommand({ LicenseArn: arn, MaxResults: 1, NextToken: nextToken }),
			);
			expect(page.Licenses).toHaveLength(1);
			seen.push(page.Licenses?.[0]?.Version as string);
			nextToken = page.NextToken;
			pages++;
		} while (nextToken && pages < 10);
		expect(seen).toEqual(["1", "2", "3"]);
		expect(pages).toBe(3);

		// A token is bound to its license.
		const other = await createLicense();
		const first = await client.send(
			new ListLicenseVersionsCommand({ LicenseArn: arn, MaxResults: 1 }),
		);
		await expectSdkError(
			client.send(
				new ListLicenseVersionsCommand({ LicenseArn: other, NextToken: first.NextToken }),
			),
			"ValidationException",
		);
	});

	it("a stale SourceVersion → ConflictException, nothing minted", async () => {
		const arn = await createLicense();
		await createVersion(arn, { SourceVersion: "1" });
		await expectSdkError(
			createVersion(arn, { SourceVersion: "1", LicenseName: "Stale" }),
			"ConflictException",
			/SourceVersion/,
		);
		await expectSdkError(createVersion(arn, { SourceVersion: "7" }), "ConflictException");
		const latest = (await client.send(new GetLicenseCommand({ LicenseArn: arn }))).License;
		expect(latest?.Version).toBe("2");
		expect(latest?.LicenseName).not.toBe("Stale");
	});

	it("changing HomeRegion → ValidationException; Status DELETED is refused too", async () => {
		const arn = await createLicense({ HomeRegion: "us-east-1" });
		const before = await licenseText(arn);
		await expectSdkError(
			createVersion(arn, { HomeRegion: "eu-west-1" }),
			"ValidationException",
			/HomeRegion/,
		);
		await expectSdkError(createVersion(arn, { Status: "DELETED" }), "ValidationException");
		expect(await licenseText(arn)).toBe(before);
	});

	it("ProductSKU and Beneficiary cannot change: not in the request shape, ignored if sent", async () => {
		const arn = await createLicense({ ProductSKU: "SKU-KEEP", Beneficiary: "Keep Me" });
		const input = await versionInput(arn, { LicenseName: "Renamed" });
		const res = await call("CreateLicenseVersion", {
			...input,
			ProductSKU: "SKU-OTHER",
			Beneficiary: "222233334444",
		});
		expect(res.status, res.text).toBe(200);
		expect(res.json).toEqual({ LicenseArn: arn, Version: "2", Status: "AVAILABLE" });
		const latest = (await client.send(new GetLicenseCommand({ LicenseArn: arn }))).License;
		expect(latest).toMatchObject({
			LicenseName: "Renamed",
			ProductSKU: "SKU-KEEP",
			Beneficiary: "Keep Me",
			Version: "2",
		});
		const row = await d1Rows(
			"SELECT product_sku, beneficiary, beneficiary_account, version FROM licenses WHERE license_arn = ?",
			arn,
		);
		expect(row).toEqual([
			{ product_sku: "SKU-KEEP", beneficiary: "Keep Me", beneficiary_account: null, version: 2 },
		]);
	});

	it("the same ClientToken twice → the same response, one version", async () => {
		const arn = await createLicense();
		const input = await versionInput(arn, {
			LicenseName: "Once",
			ClientToken: uniqueToken("same"),
		});
		const first = await call("CreateLicenseVersion", input);
		const second = await call("CreateLicenseVersion", input);
		expect(first.status, first.text).toBe(200);
		expect(second.text).toBe(first.text);
		expect(second.headers.get("x-amzn-RequestId")).not.toBe(first.headers.get("x-amzn-RequestId"));
		const viaSdk = await client.send(new CreateLicenseVersionCommand(input));
		expect(viaSdk.Version).toBe("2");
		const versions = await client.send(new ListLicenseVersionsCommand({ LicenseArn: arn }));
		expect(versions.Licenses?.map((l) => l.Version)).toEqual(["1", "2"]);
		// The same token with another request is refused.
		expectAwsError(
			await call("CreateLicenseVersion", { ...input, LicenseName: "Twice" }),
			"ValidationException",
			/ClientToken/,
		);
	});

	it("Status DEACTIVATED refuses new borrows; existing ones still check in; AVAILABLE again lends again", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		const v = await createVersion(arn, { Status: "DEACTIVATED" });
		expect(v.Status).toBe("DEACTIVATED");
		expect((await client.send(new GetLicenseCommand({ LicenseArn: arn }))).License?.Status).toBe(
			"DEACTIVATED",
		);

		const before = await usageText(arn);
		await expectSdkError(borrow(arn), "NoEntitlementsAllowedException", /DEACTIVATED/);
		expect(await usageText(arn)).toBe(before);

		await client.send(
			new CheckInLicenseCommand({ LicenseConsumptionToken: a.LicenseConsumptionToken }),
		);
		expect((await usage(arn)).Seats).toBe("0");

		await createVersion(arn, { Status: "AVAILABLE" });
		await borrow(arn);
		expect((await usage(arn)).Seats).toBe("2");
	});

	it("lowering MaxCount below usage never revokes live borrows, and blocks new ones until usage is below it", async () => {
		const arn = await createLicense(); // Seats MaxCount 7
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		const b = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "3" }]);
		const lowered = (await versionInput(arn)).Entitlements?.map((e) =>
			e.Name === "Seats" ? { ...e, MaxCount: 3 } : e,
		);
		await createVersion(arn, { Entitlements: lowered });

		const seats = async () =>
			(
				await client.send(new GetLicenseUsageCommand({ LicenseArn: arn }))
			).LicenseUsage?.EntitlementUsages?.find((e) => e.Name === "Seats");
		expect(await seats()).toEqual({
			Name: "Seats",
			ConsumedValue: "5",
			MaxCount: "3",
			Unit: "Count",
		});
		await expectSdkError(
			borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "1" }]),
			"NoEntitlementsAllowedException",
			/Seats/,
		);
		expect((await seats())?.ConsumedValue).toBe("5");

		await client.send(
			new CheckInLicenseCommand({ LicenseConsumptionToken: a.LicenseConsumptionToken }),
		); // 3 of 3
		await expectSdkError(
			borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "1" }]),
			"NoEntitlementsAllowedException",
		);
		expect((await seats())?.ConsumedValue).toBe("3");

		await client.send(
			new CheckInLicenseCommand({ LicenseConsumptionToken: b.LicenseConsumptionToken }),
		); // 0 of 3
		await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "3" }]);
		expect((await seats())?.ConsumedValue).toBe("3");
		await expectSdkError(
			borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "1" }]),
			"NoEntitlementsAllowedException",
		);
	});
});

describe("Validity", () => {
	it("a checkout before Validity.Begin → NoEntitlementsAllowedException saying so", async () => {
		const begin = isoSeconds(clock.now() + 24 * HOUR);
		const arn = await createLicense({ Validity: { Begin: begin, End: "2099-01-01T00:00:00Z" } });
		const before = await usageText(arn);
		await expectSdkError(
			borrow(arn),
			"NoEntitlementsAllowedException",
			new RegExp(`not valid before ${begin}`),
		);
		expect(await usageText(arn)).toBe(before);
		advanceClockForTests(24 * HOUR + 1000);
		await borrow(arn);
		expect((await usage(arn)).Seats).toBe("2");
	});

	it("a checkout after Validity.End → NoEntitlementsAllowedException saying so", async () => {
		const end = isoSeconds(clock.now() + HOUR);
		const arn = await createLicense({ Validity: { Begin: "2020-01-01T00:00:00Z", End: end } });
		advanceClockForTests(2 * HOUR);
		const res = await call("CheckoutBorrowLicense", checkoutBody(arn));
		expectAwsError(res, "NoEntitlementsAllowedException", new RegExp(`validity ended at ${end}`));
		expect((await usage(arn)).Seats).toBe("0");
	});
});
