import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isServiceError } from "../../src/client";
import { isoSeconds, setClockOffsetForTests } from "../../src/clock";
import { queryUsageHistory } from "../../src/records/d1";
import { expectAlarmRan, expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense } from "../helpers/fixtures";
import { OTHER } from "../helpers/principals";
import { typedClient } from "../helpers/sdk";
import { stubOf } from "../helpers/storage";
import { call, checkoutCall, extensionCall } from "../helpers/wire";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A whole UTC day, so hours and days line up with the script below. */
const H0 = Date.UTC(2031, 0, 6);

/** Moves the service clock to `ms` (it keeps ticking from there, seconds at most in a test). */
function setNow(ms: number): void {
	setClockOffsetForTests(ms - Date.now());
}

async function drain(arn: string): Promise<void> {
	await runInDurableObject(stubOf(arn), (instance) => instance.drainOutbox());
}

const iso = (ms: number) => isoSeconds(ms);

function license(beneficiary = "My Beneficiary") {
	return createLicense({
		Beneficiary: beneficiary,
		Entitlements: [
			{ Name: "Seats", Unit: "Count", MaxCount: 10 },
			{ Name: "Tier", Unit: "None", Value: "Enterprise" },
			{ Name: "Hours", Unit: "Seconds", MaxCount: 3600 },
		],
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 120 },
		},
	});
}

async function checkout(
	arn: string,
	entitlements: { Name: string; Unit: string; Value: string }[],
) {
	const res = await checkoutCall(checkoutBody(arn, { Entitlements: entitlements }));
	return expectOk(res).LicenseConsumptionToken as string;
}

/**
 * The scripted history (minutes from H0): A borrows 2 seats at 0:10 and checks in at
 * 0:30; B borrows 3 seats and 100 seconds at 0:20 and checks in at 1:40; C borrows
 * 1 seat at 1:05 and expires at 3:05 (by the alarm); D borrows 5 seats at 2:15, is
 * extended at 3:30 to 5:30 and is still out.
 */
async function scriptedLicense(): Promise<string> {
	setNow(H0 - HOUR);
	const arn = await license();
	setNow(H0 + 10 * MINUTE);
	const a = await checkout(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
	setNow(H0 + 20 * MINUTE);
	const b = await checkout(arn, [
		{ Name: "Seats", Unit: "Count", Value: "3" },
		{ Name: "Hours", Unit: "Seconds", Value: "100" },
		{ Name: "Tier", Unit: "None", Value: "1" },
	]);
	setNow(H0 + 30 * MINUTE);
	expectOk(await call("CheckInLicense", { LicenseConsumptionToken: a }));
	setNow(H0 + 65 * MINUTE);
	await checkout(arn, [{ Name: "Seats", Unit: "Count", Value: "1" }]);
	setNow(H0 + 100 * MINUTE);
	expectOk(await call("CheckInLicense", { LicenseConsumptionToken: b }));
	setNow(H0 + 135 * MINUTE);
	const d = await checkout(arn, [{ Name: "Seats", Unit: "Count", Value: "5" }]);
	setNow(H0 + 210 * MINUTE);
	await expectAlarmRan(arn); // C expires (its end is its expiration, 3:05)
	const extended = expectOk(await call("ExtendLicenseConsumption", { LicenseConsumptionToken: d }));
	expect(extended.Expiration).toBe(iso(H0 + 330 * MINUTE));
	await drain(arn);
	return arn;
}

function points(out: Record<string, unknown>): Record<string, [string, number, number][]> {
	const entitlements = out.Entitlements as {
		Name: string;
		Unit: string;
		Points: { Time: string; PeakConsumed: number; Checkouts: number }[];
	}[];
	return Object.fromEntries(
		entitlements.map((e) => [
			`${e.Name}/${e.Unit}`,
			e.Points.map((p) => [p.Time, p.PeakConsumed, p.Checkouts]),
		]),
	);
}

describe("GetUsageHistory over real checkouts, check-ins, expiries and an extend", () => {
	it("reports the exact peak and checkouts of every hour, for each counted entitlement in license order", async () => {
		const arn = await scriptedLicense();
		const out = expectOk(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0),
				End: iso(H0 + 6 * HOUR),
				Granularity: "HOUR",
			}),
		);
		expect(Object.keys(out)).toEqual(["Entitlements"]);
		const hour = (n: number) => iso(H0 + n * HOUR);
		expect(points(out)).toEqual({
			"Seats/Count": [
				[hour(0), 5, 2], // A 2 + B 3 at 0:20
				[hour(1), 4, 1], // B 3 carried in + C 1 at 1:05
				[hour(2), 6, 1], // C 1 carried in + D 5 at 2:15
				[hour(3), 6, 0], // both carried in; C ends at 3:05
				[hour(4), 5, 0], // D, extended
				[hour(5), 5, 0], // D until 5:30
			],
			"Hours/Seconds": [
				[hour(0), 100, 1],
				[hour(1), 100, 0],
				[hour(2), 0, 0],
				[hour(3), 0, 0],
				[hour(4), 0, 0],
				[hour(5), 0, 0],
			],
		});
		// The None-unit entitlement has no quantity and no history.
		expect((out.Entitlements as { Name: string }[]).map((e) => e.Name)).toEqual(["Seats", "Hours"]);

		// A window inside hours is widened to whole hours (Start down, End up).
		const inner = expectOk(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0 + 90 * MINUTE),
				End: iso(H0 + 150 * MINUTE),
			}),
		);
		expect(points(inner)["Seats/Count"]).toEqual([
			[hour(1), 4, 1],
			[hour(2), 6, 1],
		]);

		// By day: one point holding the day's peak and all four checkouts.
		const byDay = expectOk(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0),
				End: iso(H0 + 6 * HOUR),
				Granularity: "DAY",
			}),
		);
		expect(points(byDay)).toEqual({
			"Seats/Count": [[iso(H0), 6, 4]],
			"Hours/Seconds": [[iso(H0), 100, 1]],
		});
		const twoDays = expectOk(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0 - DAY),
				End: iso(H0 + DAY),
				Granularity: "DAY",
			}),
		);
		expect(points(twoDays)["Seats/Count"]).toEqual([
			[iso(H0 - DAY), 0, 0],
			[iso(H0), 6, 4],
		]);
	});

	it("defaults to the last 7 days by hour, ending with the current hour (168 points); DAY gives 7", async () => {
		const arn = await scriptedLicense(); // the clock is now 3:30
		const client = typedClient();
		const out = await client.getUsageHistory({ LicenseArn: arn });
		const [seats, hours] = out.Entitlements;
		expect(seats?.Points).toHaveLength(168);
		expect(seats?.Points[0]?.Time).toBe(iso(H0 + 4 * HOUR - 7 * DAY));
		expect(seats?.Points.at(-1)?.Time).toBe(iso(H0 + 3 * HOUR));
		expect(seats?.Points.slice(-4).map((p) => [p.PeakConsumed, p.Checkouts])).toEqual([
			[5, 2],
			[4, 1],
			[6, 1],
			[6, 0],
		]);
		expect(seats?.Points.slice(0, -4).every((p) => p.PeakConsumed === 0 && p.Checkouts === 0)).toBe(
			true,
		);
		expect(hours?.Points).toHaveLength(168);

		const days = await client.getUsageHistory({ LicenseArn: arn, Granularity: "DAY" });
		expect(days.Entitlements[0]?.Points.map((p) => [p.Time, p.PeakConsumed, p.Checkouts])).toEqual([
			[iso(H0 - 6 * DAY), 0, 0],
			[iso(H0 - 5 * DAY), 0, 0],
			[iso(H0 - 4 * DAY), 0, 0],
			[iso(H0 - 3 * DAY), 0, 0],
			[iso(H0 - 2 * DAY), 0, 0],
			[iso(H0 - DAY), 0, 0],
			[iso(H0), 6, 4],
		]);
	});

	it("counts a borrow from the instant it starts to the instant it ends: boundaries belong to the bucket after", async () => {
		setNow(H0 + 10 * DAY);
		const arn = await license();
		const base = H0 + 10 * DAY;
		const rows: [string, number, number, number | null, number, string][] = [
			// token, issued, expires, returned, seats, status
			["t-boundary-1", base, base + 2 * HOUR, base + HOUR, 2, "CHECKED_IN"],
			["t-boundary-2", base + HOUR, base + 3 * HOUR, null, 1, "ACTIVE"],
			["t-zero-length", base + 150 * MINUTE, base + 3 * HOUR, base + 150 * MINUTE, 7, "CHECKED_IN"],
		];
		for (const [token, issued, expires, returned, seats, status] of rows) {
			await env.DB.prepare(
				`INSERT INTO checkouts (consumption_token, license_arn, account_id, access_key_id, client_token,
					node_id, entitlements, status, issued_at, expires_at, returned_at, request_id)
				 VALUES (?1, ?2, '111122223333', 'AKIDLOCALDEV0000001', ?1, NULL, ?3, ?4, ?5, ?6, ?7, 'r')`,
			)
				.bind(
					token,
					arn,
					JSON.stringify([
						{ Name: "Seats", Unit: "Count", Value: String(seats) },
						{ Name: "Tier", Unit: "None", Value: "Enterprise" },
						// Same name, another unit: not this license's Hours (units never convert).
						{ Name: "Hours", Unit: "Minutes", Value: "9" },
					]),
					status,
					iso(issued),
					iso(expires),
					returned === null ? null : iso(returned),
				)
				.run();
		}
		const out = expectOk(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(base),
				End: iso(base + 4 * HOUR),
			}),
		);
		const hour = (n: number) => iso(base + n * HOUR);
		expect(points(out)).toEqual({
			"Seats/Count": [
				[hour(0), 2, 1],
				[hour(1), 1, 1], // the first ended exactly as the second began
				[hour(2), 1, 1], // a borrow ended the second it began holds nothing
				[hour(3), 0, 0], // the second expired exactly at 3:00
			],
			"Hours/Seconds": [
				[hour(0), 0, 0],
				[hour(1), 0, 0],
				[hour(2), 0, 0],
				[hour(3), 0, 0],
			],
		});
	});
});

describe("GetUsageHistory at the edge of the calendar", () => {
	it("keeps borrows in a window whose last bucket ends in year 10000", async () => {
		setNow(H0);
		const arn = await license();
		await env.DB.prepare(
			`INSERT INTO checkouts (consumption_token, license_arn, account_id, access_key_id, client_token,
				node_id, entitlements, status, issued_at, expires_at, returned_at, request_id)
			 VALUES ('t-year-9999', ?1, '111122223333', 'AKIDLOCALDEV0000001', 'c', NULL, ?2, 'ACTIVE',
				'9999-12-31T10:00:00Z', '9999-12-31T23:59:59Z', NULL, 'r')`,
		)
			.bind(arn, JSON.stringify([{ Name: "Seats", Unit: "Count", Value: "3" }]))
			.run();
		const out = expectOk(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: "9999-12-30T00:00:00Z",
				End: "9999-12-31T23:30:00Z",
				Granularity: "DAY",
			}),
		);
		expect(points(out)["Seats/Count"]).toEqual([
			["9999-12-30T00:00:00Z", 0, 0],
			["9999-12-31T00:00:00Z", 3, 1],
		]);
	});
});

describe("GetUsageHistory bounds and access", () => {
	it("allows at most 1,000 points, by hour and by day", async () => {
		setNow(H0);
		const arn = await license();
		const ok = expectOk(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0),
				End: iso(H0 + 1000 * HOUR),
			}),
		);
		expect(points(ok)["Seats/Count"]).toHaveLength(1000);
		expectAwsError(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0),
				End: iso(H0 + 1000 * HOUR + 1000),
			}),
			"ValidationException",
			`1 validation error detected: The window from ${iso(H0)} to ${iso(H0 + 1001 * HOUR)} holds 1001 HOUR points; at most 1000 are allowed: narrow it or use a coarser granularity`,
		);
		expect(
			points(
				expectOk(
					await extensionCall("GetUsageHistory", {
						LicenseArn: arn,
						Start: iso(H0 - 999 * DAY),
						End: iso(H0 + 1000),
						Granularity: "DAY",
					}),
				),
			)["Seats/Count"],
		).toHaveLength(1000);
		expectAwsError(
			await extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0 - 1000 * DAY),
				End: iso(H0 + 1000),
				Granularity: "DAY",
			}),
			"ValidationException",
			/holds 1001 DAY points; at most 1000 are allowed/,
		);
	});

	it("keeps a reply under 10,000 points across the counted entitlements, computing nothing for a refused window", async () => {
		setNow(H0);
		// 11 counted entitlements (and one uncounted, which has no points).
		const counted = Array.from({ length: 11 }, (_, i) => ({
			Name: `Feature${i}`,
			Unit: "Count" as const,
			MaxCount: 5,
		}));
		const arn = await createLicense({
			Entitlements: [...counted, { Name: "Tier", Unit: "None", Value: "Enterprise" }],
		});
		await checkout(arn, [{ Name: "Feature3", Unit: "Count", Value: "2" }]);
		await drain(arn);
		const history = (hoursBack: number, extra: Record<string, unknown> = {}) =>
			extensionCall("GetUsageHistory", {
				LicenseArn: arn,
				Start: iso(H0 - hoursBack * HOUR),
				End: iso(H0 + 1000),
				...extra,
			});
		// 909 hours × 11 = 9,999 points: one reply.
		const ok = points(expectOk(await history(908)));
		expect(Object.keys(ok)).toEqual(counted.map((e) => `${e.Name}/Count`));
		expect(Object.values(ok).map((p) => p.length)).toEqual(counted.map(() => 909));
		expect(ok["Feature3/Count"]?.at(-1)).toEqual([iso(H0), 2, 1]);
		// 910 hours × 11 = 10,010: refused, naming both factors.
		expectAwsError(
			await history(909),
			"ValidationException",
			"1 validation error detected: The window holds 910 HOUR points for each of the license's 11 counted entitlements, 10010 in all; a reply holds at most 10000: narrow it or use a coarser granularity",
		);
		// D1 itself computes no rows past the bound (the guard is in the query, not only here).
		const window = {
			licenseArn: arn,
			startS: (H0 - 909 * HOUR) / 1000,
			endS: (H0 + HOUR) / 1000,
			bucketS: 3600,
		};
		const refused = await queryUsageHistory(env.DB, { ...window, maxPoints: 10_009 });
		expect(refused.license?.countedEntitlements).toBe(11);
		expect(refused.rows).toEqual([]);
		const allowed = await queryUsageHistory(env.DB, { ...window, maxPoints: 10_010 });
		expect(allowed.rows).toHaveLength(10_010);
		// The same window by day fits (39 × 11).
		const byDay = points(expectOk(await history(909, { Granularity: "DAY" })));
		expect(byDay["Feature3/Count"]).toHaveLength(39);
	});

	it("refuses the default 7-day window on a license counting more than 59 entitlements, and answers by day", async () => {
		setNow(H0);
		const arn = await createLicense({
			Entitlements: Array.from({ length: 60 }, (_, i) => ({
				Name: `F${i}`,
				Unit: "Count" as const,
				MaxCount: 1,
			})),
		});
		expectAwsError(
			await extensionCall("GetUsageHistory", { LicenseArn: arn }),
			"ValidationException",
			/holds 168 HOUR points for each of the license's 60 counted entitlements, 10080 in all/,
		);
		const byDay = expectOk(
			await extensionCall("GetUsageHistory", { LicenseArn: arn, Granularity: "DAY" }),
		);
		expect(Object.values(points(byDay)).map((p) => p.length)).toEqual(
			Array.from({ length: 60 }, () => 7),
		);
	});

	it("refuses bad members with AWS's messages, before reading anything", async () => {
		setNow(H0);
		const arn = await license();
		const cases: [Record<string, unknown>, string][] = [
			[
				{},
				"1 validation error detected: Value null at 'licenseArn' failed to satisfy constraint: Member must not be null",
			],
			[
				{ LicenseArn: arn, Granularity: "MINUTE" },
				"1 validation error detected: Value 'MINUTE' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [HOUR, DAY]",
			],
			[
				{ LicenseArn: arn, Start: "yesterday" },
				"1 validation error detected: Value 'yesterday' at 'start' failed to satisfy constraint: Member must be an ISO-8601 date-time",
			],
			[
				{ LicenseArn: arn, End: 1_700_000_000 },
				"1 validation error detected: Value 1700000000 at 'end' failed to satisfy constraint: Member must be of type string",
			],
			[
				{ LicenseArn: arn, Start: iso(H0), End: iso(H0) },
				`1 validation error detected: Start ${iso(H0)} must be earlier than End ${iso(H0)}`,
			],
			[
				{ LicenseArn: arn, Start: iso(H0 + DAY) },
				`1 validation error detected: Start ${iso(H0 + DAY)} must be earlier than End ${iso(H0)} (now)`,
			],
			[
				{ LicenseArn: arn, Start: "2031-02-30T00:00:00Z", Granularity: 7 },
				"2 validation errors detected: Value '2031-02-30T00:00:00Z' at 'start' failed to satisfy constraint: Member must be an ISO-8601 date-time; Value 7 at 'granularity' failed to satisfy constraint: Member must be of type string",
			],
		];
		for (const [body, message] of cases) {
			expectAwsError(await extensionCall("GetUsageHistory", body), "ValidationException", message);
		}
	});

	it("is the issuer's and the beneficiary account's, as GetLicenseUsage; others are denied, unknown licenses not found", async () => {
		setNow(H0);
		const own = await license();
		expectAwsError(
			await extensionCall("GetUsageHistory", { LicenseArn: own }, OTHER),
			"AccessDeniedException",
			"Access to this license is denied.",
		);
		const shared = await license(`Account ${OTHER.accountId}`);
		expect(
			points(expectOk(await extensionCall("GetUsageHistory", { LicenseArn: shared }, OTHER)))[
				"Seats/Count"
			],
		).toHaveLength(168);

		const unknown = `${own.slice(0, -32)}${"0".repeat(32)}`;
		expectAwsError(
			await extensionCall("GetUsageHistory", { LicenseArn: unknown }),
			"ResourceNotFoundException",
			`License ${unknown} does not exist.`,
		);
		const err = await typedClient(OTHER)
			.getUsageHistory({ LicenseArn: own })
			.catch((e: unknown) => e);
		expect(isServiceError(err, "AccessDeniedException")).toBe(true);
		expect(err).toMatchObject({ status: 400, message: "Access to this license is denied." });
	});
});
