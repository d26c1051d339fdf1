import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { advanceClockForTests, clock, isoSeconds, setClockOffsetForTests } from "../../src/clock";
import { loadConfig } from "../../src/config";
import worker from "../../src/index";
import { purgeHistory } from "../../src/records/retention";
import { expectAlarmRan, expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, licenseInput } from "../helpers/fixtures";
import { d1Count, d1Rows, objectRows, scheduledAlarm } from "../helpers/storage";
import { setObjectVars } from "../helpers/vars";
import { call, usage } from "../helpers/wire";

/**
 * SPEC §11 retention: ended borrows leave their object 30 days after they ended
 * (the object's alarm), D1 history older than 400 days leaves D1 (the daily
 * scheduled handler). Time moves on the injected clock only.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Purges due close together share one alarm this long after the first is due (src/license/object.ts). */
const PURGE_COALESCE = HOUR;

// Alarms scheduled here stay in the real future, so only the test runs them.
beforeEach(() => setClockOffsetForTests(10 * MINUTE));

function createWithTtl(minutes: number): Promise<string> {
	return call(
		"CreateLicense",
		licenseInput({
			ConsumptionConfiguration: {
				RenewType: "None",
				BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: minutes },
			},
		}),
	).then((res) => expectOk(res).LicenseArn as string);
}

const seats = (value: string) => [{ Name: "Seats", Unit: "Count", Value: value }];

async function borrowRows(arn: string) {
	return objectRows(arn, "SELECT token, status FROM borrows ORDER BY issued_at, token");
}

async function clientTokenCount(arn: string): Promise<number> {
	const rows = await objectRows(arn, "SELECT COUNT(*) AS n FROM client_tokens");
	return rows[0]?.n as number;
}

describe("ended borrows in the license object", () => {
	it("purges a checked-in borrow 30 days after its check-in, never an active one; usage unaffected", async () => {
		const arn = await createWithTtl(43_200); // 30 days
		const bodyA = checkoutBody(arn, { Entitlements: seats("1") });
		const first = await call("CheckoutBorrowLicense", bodyA);
		const tokenA = expectOk(first).LicenseConsumptionToken as string;
		const c = expectOk(
			await call("CheckoutBorrowLicense", checkoutBody(arn, { Entitlements: seats("2") })),
		);
		const tokenC = c.LicenseConsumptionToken as string;
		const checkedInAt = clock.now();
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: tokenA }));
		await expectAlarmRan(arn);
		const endedAt = (
			await objectRows(arn, "SELECT returned_at FROM borrows WHERE token = ?", tokenA)
		)[0]?.returned_at as number;
		expect(endedAt).toBeGreaterThanOrEqual(checkedInAt);

		// 29 days later C is extended (an active borrow of a long-lived node); A ended 29 days ago.
		advanceClockForTests(29 * DAY);
		expectOk(await call("ExtendLicenseConsumption", { LicenseConsumptionToken: tokenC }));
		await expectAlarmRan(arn);
		expect(await borrowRows(arn)).toHaveLength(2);

		// One minute short of 30 days after the check-in: still there.
		setClockOffsetForTests(endedAt + 30 * DAY - MINUTE - Date.now());
		await expectAlarmRan(arn);
		expect((await borrowRows(arn)).map((r) => r.token)).toContain(tokenA);

		// 30 days after it ended: gone. C, active, stays, and so does what it holds.
		setClockOffsetForTests(endedAt + 30 * DAY + MINUTE - Date.now());
		await expectAlarmRan(arn);
		expect(await borrowRows(arn)).toEqual([{ token: tokenC, status: "ACTIVE" }]);
		expect(await usage(arn)).toEqual({ Seats: "2", Hours: "0", Tier: "0" });
		expect(await objectRows(arn, "SELECT value FROM counters WHERE name = 'live_borrows'")).toEqual(
			[{ value: 1 }],
		);

		// A's ClientToken record lives until A's expiration + 24 h (day 31): a replay is
		// still the stored success, byte for byte, though the borrow row is gone.
		const replay = await call("CheckoutBorrowLicense", bodyA);
		expect(replay.status).toBe(200);
		expect(replay.text).toBe(first.text);
		expect(await borrowRows(arn)).toHaveLength(1);
		// A gone borrow is unknown: there is nothing left to check in.
		expectAwsError(
			await call("CheckInLicense", { LicenseConsumptionToken: tokenA }),
			"ResourceNotFoundException",
			"License consumption token not found.",
		);

		// Once the ClientToken record is purged too, the ClientToken is simply new again
		// (SPEC §4: remembered until final expiration + 24 h): a new borrow.
		advanceClockForTests(DAY);
		await expectAlarmRan(arn);
		const again = expectOk(await call("CheckoutBorrowLicense", bodyA));
		expect(again.LicenseConsumptionToken).not.toBe(tokenA);
		expect(await usage(arn)).toEqual({ Seats: "3", Hours: "0", Tier: "0" });
	});

	it("the alarm wakes for the retention purge of an expired borrow, then sleeps", async () => {
		const arn = await createWithTtl(60);
		const res = expectOk(
			await call("CheckoutBorrowLicense", checkoutBody(arn, { Entitlements: seats("3") })),
		);
		const token = res.LicenseConsumptionToken as string;
		const expiresAt = Date.parse(res.Expiration as string);

		advanceClockForTests(61 * MINUTE);
		await expectAlarmRan(arn);
		expect(await objectRows(arn, "SELECT status, returned_at FROM borrows")).toEqual([
			{ status: "EXPIRED", returned_at: expiresAt },
		]);
		// First the ClientToken purge (expiration + 24 h) ...
		expect(await scheduledAlarm(arn)).toBe(expiresAt + DAY);
		setClockOffsetForTests(expiresAt + DAY + MINUTE - Date.now());
		await expectAlarmRan(arn);
		expect(await clientTokenCount(arn)).toBe(0);
		// ... then nothing but the retention purge: the alarm is set for it.
		expect(await scheduledAlarm(arn)).toBe(expiresAt + 30 * DAY + PURGE_COALESCE);
		expect(await borrowRows(arn)).toEqual([{ token, status: "EXPIRED" }]);

		setClockOffsetForTests(expiresAt + 30 * DAY + PURGE_COALESCE - Date.now());
		await expectAlarmRan(arn);
		expect(await borrowRows(arn)).toEqual([]);
		expect(await scheduledAlarm(arn)).toBeNull();
		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });
		// D1 keeps the record: the object's purge is not D1's retention.
		expect(await d1Rows("SELECT status FROM checkouts WHERE consumption_token = ?", token)).toEqual(
			[{ status: "EXPIRED" }],
		);
	});

	it("follows ENDED_BORROW_RETENTION_DAYS", async () => {
		const arn = await createWithTtl(60);
		await setObjectVars(arn, { ENDED_BORROW_RETENTION_DAYS: "2" });
		const token = expectOk(
			await call("CheckoutBorrowLicense", checkoutBody(arn, { Entitlements: seats("1") })),
		).LicenseConsumptionToken as string;
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }));
		const endedAt = (await objectRows(arn, "SELECT returned_at FROM borrows"))[0]
			?.returned_at as number;
		setClockOffsetForTests(endedAt + 2 * DAY - MINUTE - Date.now());
		await expectAlarmRan(arn);
		expect(await borrowRows(arn)).toHaveLength(1);
		setClockOffsetForTests(endedAt + 2 * DAY - Date.now());
		await expectAlarmRan(arn);
		expect(await borrowRows(arn)).toEqual([]);
	});
});

describe("D1 history: the scheduled handler", () => {
	const RETENTION = loadConfig(env).retention.historyMs;

	async function seedCheckout(
		id: string,
		status: string,
		endedAt: number | null,
		expiresAt: number,
	) {
		await env.DB.prepare(
			`INSERT INTO checkouts (consumption_token, license_arn, account_id, access_key_id, client_token,
				entitlements, status, issued_at, expires_at, returned_at, request_id)
			 VALUES (?1, 'arn:seed', '111122223333', 'AKIDSEED', ?1, '[]', ?2, ?3, ?4, ?5, 'r')`,
		)
			.bind(
				id,
				status,
				isoSeconds(expiresAt - HOUR),
				isoSeconds(expiresAt),
				endedAt === null ? null : isoSeconds(endedAt),
			)
			.run();
	}

	async function seedAudit(id: string, at: number) {
		await env.DB.prepare(
			`INSERT INTO audit_events (event_id, at, account_id, access_key_id, operation, resource_arn, request_id)
			 VALUES (?1, ?2, '111122223333', 'AKIDSEED', 'Seed', 'arn:seed', 'r')`,
		)
			.bind(id, new Date(at).toISOString())
			.run();
	}

	const seededCheckouts = async () =>
		(
			await d1Rows(
				"SELECT consumption_token FROM checkouts WHERE license_arn = 'arn:seed' ORDER BY 1",
			)
		).map((r) => r.consumption_token);
	const seededAudit = async () =>
		(
			await d1Rows("SELECT event_id FROM audit_events WHERE resource_arn = 'arn:seed' ORDER BY 1")
		).map((r) => r.event_id);

	async function runCron(): Promise<void> {
		await worker.scheduled(
			createScheduledController({ scheduledTime: clock.now(), cron: "17 3 * * *" }),
			env,
			createExecutionContext(),
		);
	}

	it("deletes ended checkouts and audit events older than 400 days, never an ACTIVE row", async () => {
		const now = clock.now();
		const old = now - RETENTION - DAY;
		const recent = now - RETENTION + DAY;
		await seedCheckout("c1-expired-old", "EXPIRED", old, old);
		await seedCheckout("c2-checked-in-old", "CHECKED_IN", old, now - 100 * DAY); // ended early
		await seedCheckout("c3-checked-in-recent", "CHECKED_IN", recent, recent);
		await seedCheckout("c4-active-old", "ACTIVE", null, now - 2 * RETENTION);
		await seedCheckout("c5-ended-without-returned-at", "EXPIRED", null, old);
		await seedAudit("a1-old", old);
		await seedAudit("a2-just-over", now - RETENTION - 1000);
		await seedAudit("a3-recent", recent);

		await runCron();

		expect(await seededCheckouts()).toEqual(["c3-checked-in-recent", "c4-active-old"]);
		expect(await seededAudit()).toEqual(["a3-recent"]);
	});

	it("real history ages out 400 days on; licenses and live borrows stay", async () => {
		const arn = await createWithTtl(60);
		const ended = expectOk(
			await call("CheckoutBorrowLicense", checkoutBody(arn, { Entitlements: seats("1") })),
		).LicenseConsumptionToken as string;
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: ended }));
		const live = expectOk(
			await call("CheckoutBorrowLicense", checkoutBody(arn, { Entitlements: seats("2") })),
		).LicenseConsumptionToken as string;
		await expectAlarmRan(arn); // the checkouts reach D1
		const rowsOf = () =>
			d1Rows(
				"SELECT consumption_token AS token, status FROM checkouts WHERE license_arn = ? ORDER BY issued_at, token",
				arn,
			);
		expect(await rowsOf()).toHaveLength(2);
		const auditBefore = await d1Count(
			"SELECT COUNT(*) AS n FROM audit_events WHERE resource_arn = ?",
			arn,
		);
		expect(auditBefore).toBe(4); // create, two checkouts, a check-in

		// 399 days on nothing goes; 401 days on the ended checkout and every audit event have.
		advanceClockForTests(RETENTION - DAY);
		await runCron();
		expect(await rowsOf()).toHaveLength(2);
		advanceClockForTests(2 * DAY);
		await runCron();
		// The live borrow's D1 row is still ACTIVE: its object has not run its expiry
		// alarm (time moved only for this test), and an ACTIVE row is never deleted.
		expect(await rowsOf()).toEqual([{ token: live, status: "ACTIVE" }]);
		expect(
			await d1Count("SELECT COUNT(*) AS n FROM audit_events WHERE resource_arn = ?", arn),
		).toBe(0);
		expect(await d1Count("SELECT COUNT(*) AS n FROM licenses WHERE license_arn = ?", arn)).toBe(1);
		expect(
			await d1Count("SELECT COUNT(*) AS n FROM license_versions WHERE license_arn = ?", arn),
		).toBe(1);
	});

	it("deletes in bounded statements and stops at its budget; the next run continues", async () => {
		const old = new Date(clock.now() - RETENTION - DAY).toISOString();
		await env.DB.prepare(
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
			 INSERT INTO audit_events (event_id, at, account_id, access_key_id, operation, resource_arn, request_id)
			 SELECT 'bulk-' || i, ?1, '111122223333', 'AKIDSEED', 'Seed', 'arn:bulk', 'r' FROM n`,
		)
			.bind(old)
			.run();
		const bulk = () =>
			d1Count("SELECT COUNT(*) AS n FROM audit_events WHERE resource_arn = 'arn:bulk'");
		expect(await bulk()).toBe(2500);

		// A D1 that counts statements and the rows each one deleted.
		const deletedPerStatement: number[] = [];
		const counting = {
			prepare(sql: string) {
				const statement = env.DB.prepare(sql);
				return {
					bind(...values: unknown[]) {
						const bound = statement.bind(...values);
						return {
							async run() {
								const result = await bound.run();
								deletedPerStatement.push(result.meta.changes);
								return result;
							},
						};
					},
				};
			},
		} as unknown as D1Database;
		const budget = { batchRows: 1000, maxBatches: 2, maxMs: 60_000 };

		const first = await purgeHistory(counting, clock.now(), RETENTION, budget);
		expect(first).toEqual({ checkoutsDeleted: 0, auditEventsDeleted: 2000, complete: false });
		expect(deletedPerStatement).toEqual([0, 1000, 1000]);
		expect(await bulk()).toBe(500);

		deletedPerStatement.length = 0;
		const second = await purgeHistory(counting, clock.now(), RETENTION, budget);
		expect(second).toEqual({ checkoutsDeleted: 0, auditEventsDeleted: 500, complete: true });
		expect(deletedPerStatement).toEqual([0, 500]);
		expect(await bulk()).toBe(0);
	});

	it("the deletes and the license count use the indexes of migration 0003", async () => {
		const plan = async (sql: string) =>
			(await d1Rows(`EXPLAIN QUERY PLAN ${sql}`, "2020-01-01T00:00:00Z", 10))
				.map((r) => r.detail)
				.join("\n");
		expect(
			await plan(
				"DELETE FROM checkouts WHERE rowid IN (SELECT rowid FROM checkouts WHERE status <> 'ACTIVE' AND COALESCE(returned_at, expires_at) < ?1 LIMIT ?2)",
			),
		).toContain("checkouts_ended_by_time");
		expect(
			await plan(
				"DELETE FROM audit_events WHERE rowid IN (SELECT rowid FROM audit_events WHERE at < ?1 LIMIT ?2)",
			),
		).toContain("audit_events_by_time");
		expect(
			await plan(
				"SELECT COUNT(*) AS n FROM (SELECT 1 FROM licenses WHERE issuer_account = ?1 AND status <> 'DELETED' LIMIT ?2)",
			),
		).toContain("licenses_by_issuer_status");
	});
});
