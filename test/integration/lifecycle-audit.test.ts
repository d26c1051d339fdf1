import { describe, expect, it } from "vitest";
import { advanceClockForTests } from "../../src/clock";
import { checkoutBody, HOUR, licenseInput } from "../helpers/fixtures";
import { ISSUER } from "../helpers/principals";
import { versionInput } from "../helpers/sdk";
import { d1Rows, drainOutbox, runAlarm } from "../helpers/storage";
import { call, type Reply } from "../helpers/wire";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requestId(res: Reply): string {
	expect(res.status, res.text).toBe(200);
	const id = res.headers.get("x-amzn-RequestId") ?? "";
	expect(id).toMatch(UUID);
	return id;
}

describe("audit trail in D1", () => {
	it("create, version, checkout, extend, check-in, expiry and delete each write one audit_events row", async () => {
		const created = await call("CreateLicense", licenseInput());
		const createId = requestId(created);
		const arn = created.json.LicenseArn as string;

		const checkoutA = await call("CheckoutBorrowLicense", checkoutBody(arn));
		const checkoutAId = requestId(checkoutA);
		const checkoutB = await call("CheckoutBorrowLicense", checkoutBody(arn));
		const checkoutBId = requestId(checkoutB);
		const tokenA = checkoutA.json.LicenseConsumptionToken as string;
		const tokenB = checkoutB.json.LicenseConsumptionToken as string;

		const extendId = requestId(
			await call("ExtendLicenseConsumption", { LicenseConsumptionToken: tokenB }),
		);
		const checkInId = requestId(await call("CheckInLicense", { LicenseConsumptionToken: tokenA }));
		const versionId = requestId(
			await call("CreateLicenseVersion", await versionInput(arn, { SourceVersion: "1" })),
		);

		// A dry run, a repeated check-in and a refused call are not state changes.
		requestId(
			await call("ExtendLicenseConsumption", { LicenseConsumptionToken: tokenB, DryRun: true }),
		);
		requestId(await call("CheckInLicense", { LicenseConsumptionToken: tokenA }));
		expect((await call("DeleteLicense", { LicenseArn: arn, SourceVersion: "2" })).json.__type).toBe(
			"ConflictException",
		);

		// B expires by the alarm alone.
		advanceClockForTests(2 * HOUR);
		expect(await runAlarm(arn)).toBe(true);
		const deleteId = requestId(
			await call("DeleteLicense", { LicenseArn: arn, SourceVersion: "2" }),
		);
		await drainOutbox(arn);

		const rows = await d1Rows(
			"SELECT operation, account_id, access_key_id, resource_arn, request_id, at FROM audit_events WHERE resource_arn = ? ORDER BY at, operation",
			arn,
		);
		const byOperation = new Map<string, typeof rows>();
		for (const r of rows)
			byOperation.set(r.operation as string, [
				...(byOperation.get(r.operation as string) ?? []),
				r,
			]);
		expect([...byOperation.keys()].sort()).toEqual(
			[
				"CheckInLicense",
				"CheckoutBorrowLicense",
				"CreateLicense",
				"CreateLicenseVersion",
				"DeleteLicense",
				"ExpireBorrow",
				"ExtendLicenseConsumption",
			].sort(),
		);
		const expected: [string, string[]][] = [
			["CreateLicense", [createId]],
			["CreateLicenseVersion", [versionId]],
			["CheckoutBorrowLicense", [checkoutAId, checkoutBId].sort()],
			["ExtendLicenseConsumption", [extendId]],
			["CheckInLicense", [checkInId]],
			["DeleteLicense", [deleteId]],
		];
		for (const [operation, ids] of expected) {
			const got = byOperation.get(operation) ?? [];
			expect(got.map((r) => r.request_id).sort(), operation).toEqual(ids);
			for (const r of got) {
				expect(r, operation).toMatchObject({ account_id: ISSUER.accountId, resource_arn: arn });
				expect(typeof r.access_key_id).toBe("string");
				expect(Number.isNaN(Date.parse(r.at as string))).toBe(false);
			}
		}
		// Expiry has no request: one row, for the borrow's account.
		const expiry = byOperation.get("ExpireBorrow") ?? [];
		expect(expiry).toHaveLength(1);
		expect(expiry[0]).toMatchObject({ account_id: ISSUER.accountId, resource_arn: arn });
		expect(typeof expiry[0]?.request_id).toBe("string");
		expect(rows).toHaveLength(8);

		// The checkout rows carry the checkout's request id too.
		expect(
			await d1Rows(
				"SELECT consumption_token, request_id FROM checkouts WHERE license_arn = ? ORDER BY request_id",
				arn,
			),
		).toEqual(
			[
				{ consumption_token: tokenA, request_id: checkoutAId },
				{ consumption_token: tokenB, request_id: checkoutBId },
			].sort((x, y) => (x.request_id < y.request_id ? -1 : 1)),
		);
	});

	it("an idempotent replay writes no second audit row", async () => {
		const input = licenseInput();
		const first = await call("CreateLicense", input);
		const again = await call("CreateLicense", input);
		requestId(first);
		const replayId = requestId(again);
		expect(again.json).toEqual(first.json);
		const arn = first.json.LicenseArn as string;

		const body = checkoutBody(arn);
		const c1 = await call("CheckoutBorrowLicense", body);
		const c2 = await call("CheckoutBorrowLicense", body);
		requestId(c1);
		requestId(c2);
		const version = await versionInput(arn);
		requestId(await call("CreateLicenseVersion", version));
		requestId(await call("CreateLicenseVersion", version));
		await drainOutbox(arn);

		const counts = await d1Rows(
			"SELECT operation, COUNT(*) AS n FROM audit_events WHERE resource_arn = ? GROUP BY operation ORDER BY operation",
			arn,
		);
		expect(counts).toEqual([
			{ operation: "CheckoutBorrowLicense", n: 1 },
			{ operation: "CreateLicense", n: 1 },
			{ operation: "CreateLicenseVersion", n: 1 },
		]);
		expect(
			await d1Rows("SELECT COUNT(*) AS n FROM audit_events WHERE request_id = ?", replayId),
		).toEqual([{ n: 0 }]);
	});
});
