import {
	CheckInLicenseCommand,
	CreateLicenseVersionCommand,
	ExtendLicenseConsumptionCommand,
} from "@aws-sdk/client-license-manager";
import { describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { advanceClockForTests, clock, isoSeconds } from "../../src/clock";
import { expectSdkError } from "../helpers/expectations";
import { createLicense, HOUR, MINUTE } from "../helpers/fixtures";
import { borrow, sdkClient, versionInput } from "../helpers/sdk";
import { d1Rows, drainOutbox, runAlarm } from "../helpers/storage";
import { call, licenseText, usage, usageText } from "../helpers/wire";

const client = sdkClient();

const extend = (token: string, dryRun?: boolean) =>
	client.send(
		new ExtendLicenseConsumptionCommand({
			LicenseConsumptionToken: token,
			...(dryRun === undefined ? {} : { DryRun: dryRun }),
		}),
	);

/** Extends and checks Expiration = now + TTL, for the `now` the service saw. */
async function extendBy(token: string, ttlMs: number): Promise<number> {
	const before = clock.now();
	const out = await extend(token);
	const after = clock.now();
	expect(out.LicenseConsumptionToken).toBe(token);
	const expiration = out.Expiration as string;
	expect(expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
	const at = Date.parse(expiration);
	expect(at).toBeGreaterThanOrEqual(Date.parse(isoSeconds(before + ttlMs)));
	expect(at).toBeLessThanOrEqual(Date.parse(isoSeconds(after + ttlMs)));
	return at;
}

describe("ExtendLicenseConsumption", () => {
	it("moves Expiration to now + TTL; the borrow outlives its old expiration and expires at the new one", async () => {
		const arn = await createLicense();
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		const token = a.LicenseConsumptionToken as string;
		const oldExpiration = Date.parse(a.Expiration as string);

		advanceClockForTests(30 * MINUTE);
		const newExpiration = await extendBy(token, HOUR);
		expect(newExpiration - oldExpiration).toBeGreaterThanOrEqual(30 * MINUTE - 1000);

		// Past the old expiration: the alarm releases nothing.
		advanceClockForTests(oldExpiration - clock.now() + 5 * MINUTE);
		await runAlarm(arn);
		expect((await usage(arn)).Seats).toBe("2");

		// Just before the new one: still held. Past it: released by the alarm alone.
		advanceClockForTests(newExpiration - clock.now() - 1000);
		await runAlarm(arn);
		expect((await usage(arn)).Seats).toBe("2");
		advanceClockForTests(2000);
		expect(await runAlarm(arn)).toBe(true);
		expect((await usage(arn)).Seats).toBe("0");
	});

	it("is capped at Validity.End", async () => {
		const end = isoSeconds(clock.now() + 90 * MINUTE);
		const arn = await createLicense({ Validity: { Begin: "2020-01-01T00:00:00Z", End: end } });
		const a = await borrow(arn);
		expect(Date.parse(a.Expiration as string) - Date.parse(a.IssuedAt as string)).toBe(HOUR);
		advanceClockForTests(40 * MINUTE);
		const out = await extend(a.LicenseConsumptionToken as string);
		expect(out.Expiration).toBe(end);
	});

	it("DryRun returns the current Expiration and changes nothing", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		const token = a.LicenseConsumptionToken as string;
		const licenseBefore = await licenseText(arn);
		const usageBefore = await usageText(arn);
		await drainOutbox(arn);
		const rowBefore = await d1Rows(
			"SELECT status, expires_at FROM checkouts WHERE consumption_token = ?",
			token,
		);
		expect(rowBefore).toEqual([{ status: "ACTIVE", expires_at: a.Expiration }]);

		advanceClockForTests(20 * MINUTE);
		const dry = await extend(token, true);
		expect(dry.LicenseConsumptionToken).toBe(token);
		expect(dry.Expiration).toBe(a.Expiration);
		const rawDry = await call("ExtendLicenseConsumption", {
			LicenseConsumptionToken: token,
			DryRun: true,
		});
		expect(rawDry.status, rawDry.text).toBe(200);
		expect(rawDry.json).toEqual({ LicenseConsumptionToken: token, Expiration: a.Expiration });

		expect(await licenseText(arn)).toBe(licenseBefore);
		expect(await usageText(arn)).toBe(usageBefore);
		await drainOutbox(arn);
		expect(
			await d1Rows("SELECT status, expires_at FROM checkouts WHERE consumption_token = ?", token),
		).toEqual(rowBefore);
		expect(
			await d1Rows(
				"SELECT COUNT(*) AS n FROM audit_events WHERE operation = 'ExtendLicenseConsumption' AND borrow_id = ?",
				borrowIdOf(token),
			),
		).toEqual([{ n: 0 }]);

		// A dry run leaves the borrow as it was: it still expires at the original time...
		const probe = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "1" }]);
		advanceClockForTests(Date.parse(a.Expiration as string) - clock.now() + 1000);
		await runAlarm(arn);
		expect((await usage(arn)).Seats).toBe("1");
		// ...and a real extend on another borrow is unaffected by a dry run before it.
		const probeToken = probe.LicenseConsumptionToken as string;
		expect((await extend(probeToken, true)).Expiration).toBe(probe.Expiration);
		await extendBy(probeToken, HOUR);
	});

	it("DryRun false behaves as a real extend", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		advanceClockForTests(10 * MINUTE);
		const out = await extend(a.LicenseConsumptionToken as string, false);
		expect(Date.parse(out.Expiration as string)).toBeGreaterThan(
			Date.parse(a.Expiration as string),
		);
	});

	it("an expired borrow (before or after the alarm) → ValidationException, DryRun too", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		const b = await borrow(arn);
		advanceClockForTests(HOUR + 1000);
		await expectSdkError(
			extend(a.LicenseConsumptionToken as string),
			"ValidationException",
			/expired/,
		);
		await expectSdkError(
			extend(a.LicenseConsumptionToken as string, true),
			"ValidationException",
			/expired/,
		);
		await runAlarm(arn);
		await expectSdkError(
			extend(a.LicenseConsumptionToken as string),
			"ValidationException",
			/expired/,
		);
		await expectSdkError(
			extend(b.LicenseConsumptionToken as string),
			"ValidationException",
			/expired/,
		);
		expect((await usage(arn)).Seats).toBe("0");
	});

	it("a checked-in borrow → ValidationException", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		await client.send(
			new CheckInLicenseCommand({ LicenseConsumptionToken: a.LicenseConsumptionToken }),
		);
		const before = await usageText(arn);
		await expectSdkError(
			extend(a.LicenseConsumptionToken as string),
			"ValidationException",
			/checked in/,
		);
		await expectSdkError(
			extend(a.LicenseConsumptionToken as string, true),
			"ValidationException",
			/checked in/,
		);
		expect(await usageText(arn)).toBe(before);
	});

	it("a borrow of a DEACTIVATED license → ValidationException; it keeps its expiration", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		await client.send(
			new CreateLicenseVersionCommand(await versionInput(arn, { Status: "DEACTIVATED" })),
		);
		await expectSdkError(
			extend(a.LicenseConsumptionToken as string),
			"ValidationException",
			/DEACTIVATED/,
		);
		await expectSdkError(
			extend(a.LicenseConsumptionToken as string, true),
			"ValidationException",
			/DEACTIVATED/,
		);
		expect((await usage(arn)).Seats).toBe("2");
		advanceClockForTests(HOUR + 1000);
		await runAlarm(arn);
		expect((await usage(arn)).Seats).toBe("0");
	});

	it("an unknown token → ResourceNotFoundException", async () => {
		await expectSdkError(extend("0".repeat(64)), "ResourceNotFoundException");
		await expectSdkError(extend("nope"), "ResourceNotFoundException");
	});

	it("D1 checkouts rows reflect CHECKED_IN, the new expires_at and EXPIRED once the outbox drains", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		const b = await borrow(arn);
		const c = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "1" }]);
		const [ta, tb, tc] = [a, b, c].map((x) => x.LicenseConsumptionToken as string) as [
			string,
			string,
			string,
		];
		await drainOutbox(arn);
		const rows = await d1Rows(
			"SELECT consumption_token, license_arn, account_id, status, issued_at, expires_at, returned_at FROM checkouts WHERE license_arn = ? ORDER BY issued_at, consumption_token",
			arn,
		);
		expect(rows).toHaveLength(3);
		for (const r of rows)
			expect(r).toMatchObject({
				license_arn: arn,
				account_id: "111122223333",
				status: "ACTIVE",
				returned_at: null,
			});

		advanceClockForTests(10 * MINUTE);
		await client.send(new CheckInLicenseCommand({ LicenseConsumptionToken: ta }));
		const checkedInAt = isoSeconds(clock.now());
		advanceClockForTests(10 * MINUTE);
		const extended = await extend(tb);
		await drainOutbox(arn);
		expect(
			await d1Rows(
				"SELECT status, expires_at, returned_at FROM checkouts WHERE consumption_token = ?",
				ta,
			),
		).toEqual([{ status: "CHECKED_IN", expires_at: a.Expiration, returned_at: checkedInAt }]);
		expect(
			await d1Rows(
				"SELECT status, expires_at, returned_at FROM checkouts WHERE consumption_token = ?",
				tb,
			),
		).toEqual([{ status: "ACTIVE", expires_at: extended.Expiration, returned_at: null }]);

		advanceClockForTests(Date.parse(c.Expiration as string) - clock.now() + 1000);
		await drainOutbox(arn);
		expect(
			await d1Rows(
				"SELECT status, expires_at, returned_at FROM checkouts WHERE consumption_token = ?",
				tc,
			),
		).toEqual([{ status: "EXPIRED", expires_at: c.Expiration, returned_at: c.Expiration }]);
		expect(
			(await d1Rows("SELECT status FROM checkouts WHERE consumption_token = ?", tb))[0]?.status,
		).toBe("ACTIVE");
		expect((await usage(arn)).Seats).toBe("2");
	});
});
