import { runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { advanceClockForTests, clock, isoSeconds, setClockOffsetForTests } from "../../src/clock";
import { expectAlarmRan } from "../helpers/expectations";
import { checkoutBody, createLicense } from "../helpers/fixtures";
import { d1Rows, objectRows, scheduledAlarm, stubOf } from "../helpers/storage";
import { checkoutCall, usage } from "../helpers/wire";

/**
 * SPEC §4 "Lifetime" and step 4/6: a borrow returns to the pool by the license's
 * own alarm, the ClientToken outlives it by 24 h, and Validity bounds everything.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// workerd fires a due alarm by itself within milliseconds. Running the test clock
// ahead of real time keeps every alarm this file schedules in the real future, so
// alarms run only when the test runs them and no drain races an assertion.
beforeEach(() => setClockOffsetForTests(10 * MINUTE));

async function usageRows(arn: string): Promise<Record<string, number>> {
	const rows = await objectRows(arn, "SELECT name, consumed FROM usage");
	return Object.fromEntries(rows.map((r) => [r.name as string, r.consumed as number]));
}

function seats(value: string) {
	return [{ Name: "Seats", Unit: "Count", Value: value }];
}

/** IssuedAt is "now" in whole seconds: between the second before the call and the clock after it. */
function expectIssuedBetween(issuedAt: unknown, before: number): void {
	const at = Date.parse(issuedAt as string);
	expect(at).toBeGreaterThanOrEqual(before - (before % 1000));
	expect(at).toBeLessThanOrEqual(clock.now());
}

function jwtPayload(token: string): Record<string, unknown> {
	const part = token.split(".")[1] ?? "";
	const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
	return JSON.parse(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="))) as Record<
		string,
		unknown
	>;
}

describe("borrow expiry", () => {
	it("returns an expired borrow to the pool through the alarm and records it in D1", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, { Entitlements: seats("3") });
		const first = await checkoutCall(body);
		expect(first.status).toBe(200);
		const token = first.json.LicenseConsumptionToken as string;
		const expiration = first.json.Expiration as string;
		expect(Date.parse(expiration) - Date.parse(first.json.IssuedAt as string)).toBe(60 * MINUTE);
		expect(await usage(arn)).toEqual({ Seats: "3", Hours: "0", Tier: "0" });

		// While the borrow is live an alarm is set; once the outbox is drained it is the expiry.
		expect(await scheduledAlarm(arn)).not.toBeNull();
		await expectAlarmRan(arn);
		expect(await scheduledAlarm(arn)).toBe(Date.parse(expiration));
		expect(
			await d1Rows("SELECT status, returned_at FROM checkouts WHERE consumption_token = ?", token),
		).toEqual([{ status: "ACTIVE", returned_at: null }]);

		advanceClockForTests(61 * MINUTE);
		await expectAlarmRan(arn);

		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });
		expect(
			await objectRows(arn, "SELECT status, returned_at FROM borrows WHERE token = ?", token),
		).toEqual([{ status: "EXPIRED", returned_at: Date.parse(expiration) }]);
		const rows = await d1Rows(
			"SELECT status, expires_at, returned_at, client_token FROM checkouts WHERE consumption_token = ?",
			token,
		);
		expect(rows).toEqual([
			{
				status: "EXPIRED",
				expires_at: expiration,
				returned_at: expect.any(String),
				client_token: body.ClientToken,
			},
		]);
		expect(Date.parse(rows[0]?.returned_at as string)).toBe(Date.parse(expiration));
		const audit = await d1Rows(
			"SELECT operation, account_id FROM audit_events WHERE resource_arn = ? AND borrow_id = ? ORDER BY at",
			arn,
			borrowIdOf(token),
		);
		expect(audit).toEqual([
			{ operation: "CheckoutBorrowLicense", account_id: "111122223333" },
			{ operation: "ExpireBorrow", account_id: "111122223333" },
		]);
		expect(await objectRows(arn, "SELECT COUNT(*) AS n FROM outbox")).toEqual([{ n: 0 }]);

		// The ClientToken still stands for the stored success, byte for byte.
		const replay = await checkoutCall(body);
		expect(replay.status).toBe(200);
		expect(replay.text).toBe(first.text);
		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });

		// Nothing live: the alarm now waits for the ClientToken purge.
		expect(await scheduledAlarm(arn)).toBe(Date.parse(expiration) + DAY);
	});

	it("caps Expiration at Validity.End", async () => {
		const end = isoSeconds(clock.now() + 10 * MINUTE);
		const arn = await createLicense({ Validity: { Begin: "2020-01-01T00:00:00Z", End: end } });
		const res = await checkoutCall(checkoutBody(arn, { Entitlements: seats("1") }));
		expect(res.status).toBe(200);
		expect(res.json.Expiration).toBe(end);
		const payload = jwtPayload(res.json.SignedToken as string);
		expect(payload.expiration).toBe(end);
		expect(payload.exp).toBe(Date.parse(end) / 1000);

		advanceClockForTests(10 * MINUTE + 1000);
		await expectAlarmRan(arn);
		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });

		// After Validity.End nothing more can be borrowed, and the message says why.
		const late = await checkoutCall(checkoutBody(arn, { Entitlements: seats("1") }));
		expect(late.status).toBe(400);
		expect(late.json.__type).toBe("NoEntitlementsAllowedException");
		expect(late.json.message).toMatch(/validity|valid/i);
		expect(late.json.message).toContain(end);
	});

	it("refuses a checkout before Validity.Begin, saying so", async () => {
		const begin = isoSeconds(clock.now() + DAY);
		const arn = await createLicense({ Validity: { Begin: begin, End: "2099-01-01T00:00:00Z" } });
		const early = await checkoutCall(checkoutBody(arn, { Entitlements: seats("1") }));
		expect(early.status).toBe(400);
		expect(early.json.__type).toBe("NoEntitlementsAllowedException");
		expect(early.json.message).toMatch(/valid/i);
		expect(early.json.message).toContain(begin);
		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });

		advanceClockForTests(DAY + MINUTE);
		const before = clock.now();
		const onTime = await checkoutCall(checkoutBody(arn, { Entitlements: seats("1") }));
		expect(onTime.status).toBe(200);
		expectIssuedBetween(onTime.json.IssuedAt, before);
	});

	it("is idempotent: running the alarm again never releases twice", async () => {
		const arn = await createLicense();
		const a = await checkoutCall(checkoutBody(arn, { Entitlements: seats("2") }));
		advanceClockForTests(30 * MINUTE);
		const b = await checkoutCall(checkoutBody(arn, { Entitlements: seats("3") }));
		expect([a.status, b.status]).toEqual([200, 200]);
		expect(await usage(arn)).toEqual({ Seats: "5", Hours: "0", Tier: "0" });

		advanceClockForTests(31 * MINUTE); // a has expired, b has 29 minutes left
		for (let i = 0; i < 3; i++) {
			await expectAlarmRan(arn);
			expect(await usage(arn)).toEqual({ Seats: "3", Hours: "0", Tier: "0" });
			expect(await usageRows(arn)).toEqual({ Seats: 3 });
		}
		// At-least-once delivery: two alarm invocations at once still release once.
		await runInDurableObject(stubOf(arn), (instance) =>
			Promise.all([instance.alarm(), instance.alarm()]),
		);
		expect(await usageRows(arn)).toEqual({ Seats: 3 });
		expect(await scheduledAlarm(arn)).toBe(Date.parse(b.json.Expiration as string));

		const tokens = [a.json.LicenseConsumptionToken, b.json.LicenseConsumptionToken];
		const statuses = async () =>
			(
				await d1Rows(
					"SELECT consumption_token AS t, status FROM checkouts WHERE license_arn = ?",
					arn,
				)
			)
				.map((r) => [tokens.indexOf(r.t), r.status])
				.sort();
		expect(await statuses()).toEqual([
			[0, "EXPIRED"],
			[1, "ACTIVE"],
		]);

		advanceClockForTests(30 * MINUTE);
		await expectAlarmRan(arn);
		await expectAlarmRan(arn);
		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });
		expect(await usageRows(arn)).toEqual({ Seats: 0 });
		expect(await statuses()).toEqual([
			[0, "EXPIRED"],
			[1, "EXPIRED"],
		]);
		const expiries = await d1Rows(
			"SELECT COUNT(*) AS n FROM audit_events WHERE resource_arn = ? AND operation = 'ExpireBorrow'",
			arn,
		);
		expect(expiries).toEqual([{ n: 2 }]);

		// Capacity is exactly MaxCount again: a double release would let an 8th seat through.
		expect((await checkoutCall(checkoutBody(arn, { Entitlements: seats("7") }))).status).toBe(200);
		const over = await checkoutCall(checkoutBody(arn, { Entitlements: seats("1") }));
		expect(over.json.__type).toBe("NoEntitlementsAllowedException");
	});
});

describe("ClientToken purge", () => {
	it("forgets a ClientToken 24 h after its borrow expired, then the token makes a new borrow", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, { Entitlements: seats("1") });
		const first = await checkoutCall(body);
		expect(first.status).toBe(200);
		const expiration = Date.parse(first.json.Expiration as string);

		advanceClockForTests(61 * MINUTE);
		await expectAlarmRan(arn);
		expect(await scheduledAlarm(arn)).toBe(expiration + DAY);

		// 23 h after expiry the record is still there (an early alarm purges nothing).
		advanceClockForTests(22 * HOUR);
		await expectAlarmRan(arn);
		const stillStored = await checkoutCall(body);
		expect(stillStored.text).toBe(first.text);
		expect(await objectRows(arn, "SELECT COUNT(*) AS n FROM client_tokens")).toEqual([{ n: 1 }]);

		advanceClockForTests(2 * HOUR); // now past expiration + 24 h
		await expectAlarmRan(arn);
		expect(await objectRows(arn, "SELECT COUNT(*) AS n FROM client_tokens")).toEqual([{ n: 0 }]);
		// What is left is the ended borrow's retention purge (SPEC §11: 30 days after it
		// ended; purges due within an hour share one alarm, retention.test.ts).
		expect(await scheduledAlarm(arn)).toBe(expiration + 30 * DAY + HOUR);

		const before = clock.now();
		const fresh = await checkoutCall(body);
		expect(fresh.status).toBe(200);
		expect(fresh.text).not.toBe(first.text);
		expect(fresh.json.LicenseConsumptionToken).toEqual(expect.stringMatching(/^[0-9a-f]{64}$/));
		expect(fresh.json.LicenseConsumptionToken).not.toBe(first.json.LicenseConsumptionToken);
		expectIssuedBetween(fresh.json.IssuedAt, before);
		expect(await usage(arn)).toEqual({ Seats: "1", Hours: "0", Tier: "0" });
		expect(await objectRows(arn, "SELECT status FROM borrows ORDER BY issued_at")).toEqual([
			{ status: "EXPIRED" },
			{ status: "ACTIVE" },
		]);
	});
});
