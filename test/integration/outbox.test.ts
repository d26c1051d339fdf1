import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { advanceClockForTests, clock, setClockOffsetForTests } from "../../src/clock";
import { licenseArn, mintLicenseId, placementForRegion } from "../../src/licenseIds";
import { statementsFor } from "../../src/records/d1";
import type { OutboxRecord } from "../../src/records/outbox";
import { expectAlarmRan } from "../helpers/expectations";
import {
	checkoutBody,
	createLicense,
	licenseInput,
	sampleRecords,
	uniqueToken,
} from "../helpers/fixtures";
import {
	d1Count,
	d1Rows,
	objectRows,
	outboxRows as outbox,
	stubOf,
	withTableParked,
} from "../helpers/storage";
import { call, checkoutCall } from "../helpers/wire";

/**
 * SPEC §7 and ARCHITECTURE "Alarms never throw": the object commits first, D1 is
 * filled from the outbox with idempotent writes, a D1 outage costs no checkout and
 * loses no record, and seller operations wait for their copy.
 */

const MINUTE = 60_000;
const MAX_BACKOFF_MS = 5 * MINUTE;
const DAY_TTL = {
	RenewType: "None",
	BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 24 * 60 },
} as const;

// Due alarms fire by themselves in workerd; running the test clock ahead of real
// time keeps this file's alarms in the real future, so only the test runs them.
beforeEach(() => setClockOffsetForTests(10 * MINUTE));

function checkoutCount(token: unknown): Promise<number> {
	return d1Count("SELECT COUNT(*) AS n FROM checkouts WHERE consumption_token = ?", token);
}

describe("D1 outage after the object committed", () => {
	it("keeps the checkout's outbox rows through many failing alarms, then lands them exactly once", async () => {
		const arn = await createLicense({ ConsumptionConfiguration: DAY_TTL });
		let token: unknown;
		await withTableParked("checkouts", async () => {
			const res = await checkoutCall(checkoutBody(arn));
			expect(res.status).toBe(200);
			expect(res.json.LicenseArn).toBe(arn);
			token = res.json.LicenseConsumptionToken;
			expect(token).toEqual(expect.stringMatching(/^[0-9a-f]{64}$/));
			expect((await outbox(arn)).map((r) => r.kind)).toEqual(["checkout", "audit"]);

			// More runs than the platform would retry a throwing alarm.
			for (let attempt = 1; attempt <= 10; attempt++) {
				advanceClockForTests(MAX_BACKOFF_MS + 1000);
				await expectAlarmRan(arn);
				const rows = await outbox(arn);
				expect(rows.map((r) => [r.kind, r.attempts])).toEqual([
					["checkout", attempt],
					["audit", attempt],
				]);
				const now = clock.now();
				for (const r of rows) {
					expect(r.next).toBeGreaterThan(now);
					expect(r.next - now).toBeLessThanOrEqual(MAX_BACKOFF_MS);
				}
				const alarm = await runInDurableObject(stubOf(arn), (_i, state) =>
					state.storage.getAlarm(),
				);
				expect(alarm).toBe(rows[0]?.next);
			}
			expect(await d1Count("SELECT COUNT(*) AS n FROM checkouts_parked")).toBe(0);
			expect(
				await d1Count(
					"SELECT COUNT(*) AS n FROM audit_events WHERE borrow_id = ?",
					borrowIdOf(String(token)),
				),
			).toBe(0);

			// Checkouts keep working while D1 is down.
			expect((await checkoutCall(checkoutBody(arn))).status).toBe(200);
		});

		advanceClockForTests(MAX_BACKOFF_MS + 1000);
		await expectAlarmRan(arn);
		expect(await checkoutCount(token)).toBe(1);
		expect(
			await d1Rows(
				"SELECT license_arn, account_id, status FROM checkouts WHERE consumption_token = ?",
				token,
			),
		).toEqual([{ license_arn: arn, account_id: "111122223333", status: "ACTIVE" }]);
		expect(await d1Count("SELECT COUNT(*) AS n FROM checkouts WHERE license_arn = ?", arn)).toBe(2);
		expect(
			await d1Count(
				"SELECT COUNT(*) AS n FROM audit_events WHERE borrow_id = ? AND operation = 'CheckoutBorrowLicense'",
				borrowIdOf(String(token)),
			),
		).toBe(1);
		expect(await outbox(arn)).toEqual([]);
	});

	it("lands a checkout and its expiry in order when the outage spans the expiry", async () => {
		const arn = await createLicense();
		let token: unknown;
		await withTableParked("checkouts", async () => {
			const res = await checkoutCall(checkoutBody(arn));
			expect(res.status).toBe(200);
			token = res.json.LicenseConsumptionToken;
			advanceClockForTests(61 * MINUTE);
			await expectAlarmRan(arn);
			expect((await outbox(arn)).map((r) => r.kind)).toEqual([
				"checkout",
				"audit",
				"checkout-status",
				"audit",
			]);
		});
		advanceClockForTests(MAX_BACKOFF_MS + 1000);
		await expectAlarmRan(arn);
		expect(await d1Rows("SELECT status FROM checkouts WHERE consumption_token = ?", token)).toEqual(
			[{ status: "EXPIRED" }],
		);
		expect(await outbox(arn)).toEqual([]);
	});
});

/*
 * Rows must reach D1 in the order they were committed: a later record (a check-in,
 * an expiry, a deletion) drained while an earlier one still waits out its backoff
 * is overwritten when the earlier one finally lands.
 */
describe("outbox order across a backoff", () => {
	async function nextAttempt(arn: string): Promise<number> {
		return Math.min(...(await outbox(arn)).map((r) => r.next));
	}

	it("does not lose a check-in made while the checkout's rows still back off", async () => {
		const arn = await createLicense({ ConsumptionConfiguration: DAY_TTL });
		let token: unknown;
		await withTableParked("checkouts", async () => {
			token = (await checkoutCall(checkoutBody(arn))).json.LicenseConsumptionToken;
			await expectAlarmRan(arn); // fails: the checkout's rows wait 1 s
		});
		const checkIn = await call("CheckInLicense", { LicenseConsumptionToken: token });
		expect(checkIn.status).toBe(200);
		await expectAlarmRan(arn);
		advanceClockForTests(MAX_BACKOFF_MS + 1000);
		await expectAlarmRan(arn);
		expect(await outbox(arn)).toEqual([]);
		expect(await objectRows(arn, "SELECT status FROM borrows")).toEqual([{ status: "CHECKED_IN" }]);
		expect(await d1Rows("SELECT status FROM checkouts WHERE consumption_token = ?", token)).toEqual(
			[{ status: "CHECKED_IN" }],
		);
	});

	it("does not lose an expiry that happens while the checkout's rows still back off", async () => {
		const arn = await createLicense();
		let token: unknown;
		let expiresAt = 0;
		await withTableParked("checkouts", async () => {
			const res = await checkoutCall(checkoutBody(arn));
			token = res.json.LicenseConsumptionToken;
			expiresAt = Date.parse(res.json.Expiration as string);
			// Fail at every retry until the next one falls after the expiry.
			while ((await nextAttempt(arn)) <= expiresAt + 1000) {
				advanceClockForTests(Math.max(0, (await nextAttempt(arn)) - clock.now()));
				await expectAlarmRan(arn);
			}
		});
		advanceClockForTests(expiresAt + 1000 - clock.now());
		await expectAlarmRan(arn); // expires the borrow; D1 is back
		advanceClockForTests(MAX_BACKOFF_MS + 1000);
		await expectAlarmRan(arn);
		expect(await outbox(arn)).toEqual([]);
		expect(await d1Rows("SELECT status FROM checkouts WHERE consumption_token = ?", token)).toEqual(
			[{ status: "EXPIRED" }],
		);
	});

	it("does not resurrect a deleted license with a version row that was still backing off", async () => {
		const input = licenseInput();
		const arn = await createLicense(input);
		const { ClientToken: _c, ProductSKU: _p, Beneficiary: _b, ...body } = input;
		const version2 = {
			...body,
			LicenseArn: arn,
			LicenseName: "Renamed",
			Status: "AVAILABLE",
			SourceVersion: "1",
			ClientToken: uniqueToken("v"),
		};
		await withTableParked("license_versions", async () => {
			// The object decided version 2; D1 refused its copy, so the seller is told to retry.
			const v2 = await call("CreateLicenseVersion", version2);
			expect(v2.status).toBe(500);
			expect(v2.json.__type).toBe("ServerInternalException");
			expect(v2.json.message).toBe(
				"The change was made but its records are not yet queryable; retry the same request.",
			);
		});
		const deleted = await call("DeleteLicense", { LicenseArn: arn, SourceVersion: "2" });
		expect(deleted.json.Status).toBe("DELETED");
		advanceClockForTests(MAX_BACKOFF_MS + 1000);
		await expectAlarmRan(arn);
		expect(await outbox(arn)).toEqual([]);
		expect(await d1Rows("SELECT status, version FROM licenses WHERE license_arn = ?", arn)).toEqual(
			[{ status: "DELETED", version: 2 }],
		);
		// The retry the seller was told to make answers the version it asked for.
		expect((await call("CreateLicenseVersion", version2)).json).toEqual({
			LicenseArn: arn,
			Version: "2",
			Status: "AVAILABLE",
		});
	});
});

describe("seller operations and D1", () => {
	it("CreateLicense replies only after its licenses and license_versions rows are in D1", async () => {
		const arn = await createLicense();
		expect(
			await d1Rows(
				"SELECT issuer_account, status, version, product_sku FROM licenses WHERE license_arn = ?",
				arn,
			),
		).toEqual([
			{ issuer_account: "111122223333", status: "AVAILABLE", version: 1, product_sku: "SKU-1" },
		]);
		const versions = await d1Rows(
			"SELECT version, status, doc FROM license_versions WHERE license_arn = ?",
			arn,
		);
		expect(versions.map((v) => [v.version, v.status])).toEqual([[1, "AVAILABLE"]]);
		const got = await call("GetLicense", { LicenseArn: arn });
		expect(JSON.parse(versions[0]?.doc as string)).toEqual(got.json.License);
		expect(
			await d1Count("SELECT COUNT(*) AS n FROM license_entitlements WHERE license_arn = ?", arn),
		).toBe(3);
		expect(
			await d1Count(
				"SELECT COUNT(*) AS n FROM audit_events WHERE resource_arn = ? AND operation = 'CreateLicense'",
				arn,
			),
		).toBe(1);
		expect(await outbox(arn)).toEqual([]);
	});

	it("does not lose a license whose D1 copy failed: the alarm lands it later, a retry answers it", async () => {
		const input = licenseInput();
		let refused: Awaited<ReturnType<typeof call>> | undefined;
		// Not `licenses`: CreateLicense counts the account's licenses there before the object commits.
		await withTableParked("license_versions", async () => {
			refused = await call("CreateLicense", input);
		});
		// SPEC §7: a seller operation replies once its D1 copy is there; D1 was down, so it says retry.
		expect(refused?.status).toBe(500);
		expect(refused?.json.__type).toBe("ServerInternalException");
		const retried = await call("CreateLicense", input);
		expect(retried.status).toBe(200);
		const arn = retried.json.LicenseArn as string;
		expect(await d1Count("SELECT COUNT(*) AS n FROM licenses WHERE license_arn = ?", arn)).toBe(1);
		expect(
			await d1Count("SELECT COUNT(*) AS n FROM license_versions WHERE license_arn = ?", arn),
		).toBe(1);
		expect(await outbox(arn)).toEqual([]);
	});

	it("lands a seller change whose reply failed even if nobody retries: the alarm sends it", async () => {
		const input = licenseInput();
		// license_versions, not licenses: CreateLicense reads licenses (the per-account
		// count) before the object commits; the drain's batch writes both, all or nothing.
		await withTableParked("license_versions", async () => {
			expect((await call("CreateLicense", input)).status).toBe(500);
		});
		// The id is derived from (account, ClientToken), so the test knows the ARN the object minted.
		const id = await mintLicenseId(
			env,
			"111122223333",
			input.ClientToken as string,
			placementForRegion("us-east-1", false),
		);
		const arn = licenseArn("aws", "111122223333", id);
		expect(await d1Count("SELECT COUNT(*) AS n FROM licenses WHERE license_arn = ?", arn)).toBe(0);
		advanceClockForTests(MAX_BACKOFF_MS + 1000);
		await expectAlarmRan(arn);
		expect(await d1Count("SELECT COUNT(*) AS n FROM licenses WHERE license_arn = ?", arn)).toBe(1);
		expect(await outbox(arn)).toEqual([]);
	});
});

describe("idempotent D1 writes", () => {
	it("leaves one row when the drain re-sends records D1 already committed", async () => {
		const arn = await createLicense();
		const res = await checkoutCall(checkoutBody(arn));
		const token = res.json.LicenseConsumptionToken;
		const sent = (await objectRows(arn, "SELECT record FROM outbox ORDER BY id")).map(
			(r) => r.record as string,
		);
		// One row: the checkout record and its audit event, written together.
		expect(sent.map((r) => (JSON.parse(r) as { kind: string }[]).map((x) => x.kind))).toEqual([
			["checkout", "audit"],
		]);
		await expectAlarmRan(arn);
		expect(await checkoutCount(token)).toBe(1);

		// As if D1 committed but the object never heard: the same rows go out again.
		await runInDurableObject(stubOf(arn), async (_i, state) => {
			for (const record of sent) {
				state.storage.sql.exec(
					"INSERT INTO outbox (record, next_attempt_at) VALUES (?, ?)",
					record,
					clock.now(),
				);
			}
			await state.storage.setAlarm(clock.now());
		});
		await expectAlarmRan(arn);
		expect(await outbox(arn)).toEqual([]);
		expect(await checkoutCount(token)).toBe(1);
		expect(
			await d1Count(
				"SELECT COUNT(*) AS n FROM audit_events WHERE borrow_id = ?",
				borrowIdOf(String(token)),
			),
		).toBe(1);
	});

	it("applies every record kind twice with one resulting row", async () => {
		const source = await createLicense();
		const doc = (await call("GetLicense", { LicenseArn: source })).json.License as Record<
			string,
			unknown
		>;
		const arn = `arn:aws:license-manager::111122223333:license:l-${crypto.randomUUID().replace(/-/g, "")}`;
		const token = crypto.randomUUID().replace(/-/g, "").repeat(2);
		const { license, checkout, expired, audit } = sampleRecords(arn, token, doc);
		const records = [license(1), checkout, expired, audit];
		const apply = (rs: OutboxRecord[]) => env.DB.batch(rs.flatMap((r) => statementsFor(env.DB, r)));
		await apply(records);
		await apply(records); // a whole batch re-sent
		await apply([...records, ...records]); // and duplicates within one batch
		await apply([checkout]); // the checkout insert again, after its expiry

		const counts = await Promise.all(
			[
				["licenses", "license_arn"],
				["license_versions", "license_arn"],
				["license_entitlements", "license_arn"],
				["checkouts", "license_arn"],
				["audit_events", "resource_arn"],
			].map(([table, column]) =>
				d1Count(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, arn),
			),
		);
		expect(counts).toEqual([1, 1, 3, 1, 1]);
		// The re-sent insert did not resurrect the expired checkout.
		expect(
			await d1Rows("SELECT status, returned_at FROM checkouts WHERE consumption_token = ?", token),
		).toEqual([{ status: "EXPIRED", returned_at: "2026-01-01T01:00:00Z" }]);

		// A late re-delivery of an older version never overwrites a newer one.
		await apply([license(2)]);
		await apply([license(1)]);
		expect(await d1Rows("SELECT version FROM licenses WHERE license_arn = ?", arn)).toEqual([
			{ version: 2 },
		]);
		expect(
			await d1Count("SELECT COUNT(*) AS n FROM license_versions WHERE license_arn = ?", arn),
		).toBe(2);
	});
});

describe("what the object's outbox holds about a borrow", () => {
	it("names the borrow by its BorrowId in every audit record (checkout, extend, check-in), never by its consumption token", async () => {
		const arn = await createLicense(licenseInput({ ConsumptionConfiguration: DAY_TTL }));
		const token = (await checkoutCall(checkoutBody(arn))).json.LicenseConsumptionToken as string;
		expect(
			(await call("ExtendLicenseConsumption", { LicenseConsumptionToken: token })).status,
		).toBe(200);
		expect((await call("CheckInLicense", { LicenseConsumptionToken: token })).status).toBe(200);
		const records = (await objectRows(arn, "SELECT record FROM outbox ORDER BY id")).flatMap((r) =>
			[JSON.parse(r.record as string) as OutboxRecord | OutboxRecord[]].flat(),
		);
		const audits = records.filter((r) => r.kind === "audit");
		// (CreateLicense's record left with its reply: seller operations wait for D1.)
		expect(audits.map((r) => [r.operation, r.detail])).toEqual([
			["CheckoutBorrowLicense", borrowIdOf(token)],
			["ExtendLicenseConsumption", borrowIdOf(token)],
			["CheckInLicense", borrowIdOf(token)],
		]);
		for (const audit of audits) expect(JSON.stringify(audit)).not.toContain(token);
	});
});
