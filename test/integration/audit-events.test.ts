import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { setClockOffsetForTests } from "../../src/clock";
import { fromBase64url } from "../../src/encoding";
import worker from "../../src/index";
import { expectAlarmRan, expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, licenseInput } from "../helpers/fixtures";
import { freshPrincipal, putPrincipal, type TestPrincipal } from "../helpers/principals";
import { typedClient } from "../helpers/sdk";
import { d1Rows, stubOf } from "../helpers/storage";
import { envWith } from "../helpers/vars";
import { call, extensionCall, type Reply, signedRequest } from "../helpers/wire";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T = Date.UTC(2032, 2, 1, 12);

function setNow(ms: number): void {
	setClockOffsetForTests(ms - Date.now());
}

async function drain(arn: string): Promise<void> {
	await runInDurableObject(stubOf(arn), (instance) => instance.drainOutbox());
}

let accountSeq = 0;
/** Two new accounts per test, so an unfiltered listing holds only that test's events. */
async function parties(): Promise<{ seller: TestPrincipal; buyer: TestPrincipal }> {
	const account = () =>
		`7${String(Date.now() % 1e9).padStart(9, "0")}${String(++accountSeq).padStart(2, "0")}`;
	const seller = freshPrincipal(account(), "SELL");
	const buyer = freshPrincipal(account(), "BUY");
	await putPrincipal(seller);
	await putPrincipal(buyer);
	return { seller, buyer };
}

type Event = Record<string, unknown>;

function events(res: Reply): Event[] {
	const out = expectOk(res);
	return out.Events as Event[];
}

function summary(list: Event[]): [string, string, string | undefined][] {
	return list.map((e) => [
		e.Operation as string,
		e.Account as string,
		e.BorrowId as string | undefined,
	]);
}

function positionOf(nextToken: string): string {
	return new TextDecoder().decode(fromBase64url(nextToken.split(".")[0] as string));
}

/**
 * The seller's license L (the buyer's account is its beneficiary) and the buyer's own
 * license M, with borrows of both on L: the seller's expires by the alarm, the
 * buyer's is extended and checked in; the buyer borrows on M too.
 */
async function history() {
	const { seller, buyer } = await parties();
	setNow(T);
	const created = expectOk(
		await call(
			"CreateLicense",
			licenseInput({ Beneficiary: `Account ${buyer.accountId}` }),
			{},
			seller,
		),
	);
	const L = created.LicenseArn as string;
	setNow(T + 30_000);
	const M = expectOk(await call("CreateLicense", licenseInput(), {}, buyer)).LicenseArn as string;
	setNow(T + MINUTE);
	const sellerToken = expectOk(await call("CheckoutBorrowLicense", checkoutBody(L), {}, seller))
		.LicenseConsumptionToken as string;
	setNow(T + 2 * MINUTE);
	const buyerToken = expectOk(await call("CheckoutBorrowLicense", checkoutBody(L), {}, buyer))
		.LicenseConsumptionToken as string;
	setNow(T + 3 * MINUTE);
	expectOk(
		await call("ExtendLicenseConsumption", { LicenseConsumptionToken: buyerToken }, {}, buyer),
	);
	setNow(T + 4 * MINUTE);
	expectOk(await call("CheckInLicense", { LicenseConsumptionToken: buyerToken }, {}, buyer));
	setNow(T + 5 * MINUTE);
	const mToken = expectOk(await call("CheckoutBorrowLicense", checkoutBody(M), {}, buyer))
		.LicenseConsumptionToken as string;
	setNow(T + 2 * HOUR);
	await expectAlarmRan(L); // the seller's borrow expires
	await drain(L);
	await drain(M);
	return { seller, buyer, L, M, tokens: [sellerToken, buyerToken, mToken] as const };
}

describe("ListAuditEvents", () => {
	it("shows the issuer every event on its licenses and the caller its own calls, newest first, by BorrowId", async () => {
		const { seller, buyer, L, M, tokens } = await history();
		const [sellerToken, buyerToken, mToken] = tokens;
		const [sellerBorrow, buyerBorrow, mBorrow] = tokens.map(borrowIdOf);

		const sellerView = await extensionCall("ListAuditEvents", {}, seller);
		const seen = events(sellerView);
		expect(summary(seen)).toEqual([
			["ExpireBorrow", seller.accountId, sellerBorrow],
			["CheckInLicense", buyer.accountId, buyerBorrow],
			["ExtendLicenseConsumption", buyer.accountId, buyerBorrow],
			["CheckoutBorrowLicense", buyer.accountId, buyerBorrow],
			["CheckoutBorrowLicense", seller.accountId, sellerBorrow],
			["CreateLicense", seller.accountId, undefined],
		]);
		expect(Object.keys(sellerView.json)).toEqual(["Events"]);
		// Every member as SPEC §8 names it; an expiry has no request or access key.
		expect(seen[0]).toEqual({
			Time: expect.stringMatching(/^2032-03-01T14:00:\d{2}\.\d{3}Z$/),
			Operation: "ExpireBorrow",
			Account: seller.accountId,
			AccessKeyId: "-",
			LicenseArn: L,
			BorrowId: sellerBorrow,
			RequestId: "-",
		});
		expect(Date.parse(seen[0]?.Time as string)).toBeGreaterThanOrEqual(T + 2 * HOUR);
		expect(seen[1]).toEqual({
			Time: expect.stringMatching(/^2032-03-01T12:04:\d{2}\.\d{3}Z$/),
			Operation: "CheckInLicense",
			Account: buyer.accountId,
			AccessKeyId: buyer.accessKeyId,
			LicenseArn: L,
			BorrowId: buyerBorrow,
			RequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
		});
		expect(Object.keys(seen[5] ?? {}).sort()).toEqual(
			["Account", "AccessKeyId", "LicenseArn", "Operation", "RequestId", "Time"].sort(),
		);
		const times = seen.map((e) => Date.parse(e.Time as string));
		expect([...times].sort((a, b) => b - a)).toEqual(times);

		// The buyer: its own calls on L (not the seller's, nor the seller's borrow's
		// expiry) and everything on M, which it issued.
		const buyerView = await extensionCall("ListAuditEvents", {}, buyer);
		expect(summary(events(buyerView))).toEqual([
			["CheckoutBorrowLicense", buyer.accountId, mBorrow],
			["CheckInLicense", buyer.accountId, buyerBorrow],
			["ExtendLicenseConsumption", buyer.accountId, buyerBorrow],
			["CheckoutBorrowLicense", buyer.accountId, buyerBorrow],
			["CreateLicense", buyer.accountId, undefined],
		]);
		expect(events(buyerView).map((e) => e.LicenseArn)).toEqual([M, L, L, L, M]);
		const buyerOnL = await extensionCall("ListAuditEvents", { LicenseArn: L }, buyer);
		expect(summary(events(buyerOnL)).map(([op]) => op)).toEqual([
			"CheckInLicense",
			"ExtendLicenseConsumption",
			"CheckoutBorrowLicense",
		]);
		// A license the caller neither issued nor called: nothing, and no error to tell it apart.
		expect(events(await extensionCall("ListAuditEvents", { LicenseArn: M }, seller))).toEqual([]);

		// Filters: operation; time (Start inclusive, End exclusive).
		expect(
			summary(
				events(
					await extensionCall("ListAuditEvents", { Operation: "CheckoutBorrowLicense" }, seller),
				),
			),
		).toEqual([
			["CheckoutBorrowLicense", buyer.accountId, buyerBorrow],
			["CheckoutBorrowLicense", seller.accountId, sellerBorrow],
		]);
		const window = await extensionCall(
			"ListAuditEvents",
			{
				Start: new Date(T + 2 * MINUTE).toISOString(),
				End: new Date(T + 4 * MINUTE).toISOString(),
			},
			seller,
		);
		expect(summary(events(window)).map(([op]) => op)).toEqual([
			"ExtendLicenseConsumption",
			"CheckoutBorrowLicense",
		]);

		// No consumption token anywhere: not in a reply, not in a NextToken's position.
		const first = await extensionCall("ListAuditEvents", { MaxResults: 1 }, seller);
		const position = positionOf(first.json.NextToken as string);
		expect(position).toContain(sellerBorrow);
		for (const res of [sellerView, buyerView, buyerOnL, window, first]) {
			for (const token of [sellerToken, buyerToken, mToken]) {
				expect(res.text).not.toContain(token);
				expect(position).not.toContain(token);
			}
		}

		// What D1 keeps: the borrow id, never the token, in the audit trail; checkouts gain it too.
		const rows = await d1Rows(
			"SELECT event_id, detail, borrow_id FROM audit_events WHERE resource_arn IN (?, ?)",
			L,
			M,
		);
		expect(rows).toHaveLength(8);
		for (const row of rows) {
			for (const token of tokens) expect(JSON.stringify(row)).not.toContain(token);
		}
		expect(rows.filter((r) => r.borrow_id !== null)).toHaveLength(6);
		expect(rows.map((r) => r.event_id)).toContain(`expire:${sellerBorrow}`);
		expect(
			await d1Rows("SELECT borrow_id FROM checkouts WHERE consumption_token = ?", sellerToken),
		).toEqual([{ borrow_id: sellerBorrow }]);
	});

	it("pages newest first, each event once, with NextTokens bound to the caller and the filters", async () => {
		const { seller, buyer } = await parties();
		setNow(T + 10 * HOUR);
		const arn = expectOk(
			await call(
				"CreateLicense",
				licenseInput({ Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 100 }] }),
				{},
				seller,
			),
		).LicenseArn as string;
		for (let i = 1; i <= 23; i++) {
			setNow(T + 10 * HOUR + i * 1000);
			expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn), {}, seller));
		}
		await drain(arn);
		const all = events(await extensionCall("ListAuditEvents", { LicenseArn: arn }, seller));
		expect(all).toHaveLength(24);

		const client = typedClient(seller);
		const pages: number[] = [];
		const paged: Event[] = [];
		let next: string | undefined;
		do {
			const page = await client.listAuditEvents({
				LicenseArn: arn,
				MaxResults: 5,
				...(next ? { NextToken: next } : {}),
			});
			pages.push(page.Events.length);
			paged.push(...(page.Events as unknown as Event[]));
			next = page.NextToken;
		} while (next);
		expect(pages).toEqual([5, 5, 5, 5, 4]);
		expect(paged).toEqual(all);
		expect(new Set(paged.map((e) => e.RequestId)).size).toBe(24);

		const second = await extensionCall(
			"ListAuditEvents",
			{ LicenseArn: arn, MaxResults: 5 },
			seller,
		);
		const token = second.json.NextToken as string;
		const invalid = "The NextToken is not valid for this request.";
		for (const [body, who] of [
			[{ MaxResults: 5, NextToken: token }, seller], // other filters
			[{ LicenseArn: arn, Operation: "CreateLicense", NextToken: token }, seller],
			[{ LicenseArn: arn, NextToken: token }, buyer], // another caller
			[{ LicenseArn: arn, NextToken: `${token.slice(0, -2)}AA` }, seller], // edited
			[{ LicenseArn: arn, NextToken: "not-a-token" }, seller],
		] as const) {
			expectAwsError(
				await extensionCall("ListAuditEvents", body, who),
				"ValidationException",
				invalid,
			);
		}
	});

	it("ends a page early at the response byte limit (MAX_LIST_RESPONSE_BYTES) and still returns every event once", async () => {
		const { seller } = await parties();
		setNow(T + 20 * HOUR);
		const arn = expectOk(await call("CreateLicense", licenseInput(), {}, seller))
			.LicenseArn as string;
		for (let i = 1; i <= 5; i++) {
			setNow(T + 20 * HOUR + i * 1000);
			expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn), {}, seller));
		}
		await drain(arn);
		const all = events(await extensionCall("ListAuditEvents", { LicenseArn: arn }, seller));
		const eventBytes = Math.max(...all.map((e) => JSON.stringify(e).length));
		// Room for two events (and a comma) after the 8 KiB envelope allowance.
		const vars = { MAX_LIST_RESPONSE_BYTES: String(8 * 1024 + 2 * eventBytes + 1) };
		const paged: Event[] = [];
		const sizes: number[] = [];
		let next: string | undefined;
		do {
			const request = await signedRequest(
				"ListAuditEvents",
				JSON.stringify({ LicenseArn: arn, ...(next ? { NextToken: next } : {}) }),
				seller,
				{ "x-amz-target": "EdgeLicenseManager.ListAuditEvents" },
			);
			const res = await worker.fetch(request, envWith(vars), createExecutionContext());
			const out = (await res.json()) as { Events: Event[]; NextToken?: string };
			expect(res.status).toBe(200);
			sizes.push(out.Events.length);
			paged.push(...out.Events);
			next = out.NextToken;
		} while (next);
		expect(sizes).toEqual([2, 2, 2]);
		expect(paged).toEqual(all);
	});

	it("refuses bad members with AWS's messages", async () => {
		const { seller } = await parties();
		const cases: [Record<string, unknown>, string][] = [
			[
				{ LicenseArn: "arn:nope" },
				"1 validation error detected: Value 'arn:nope' at 'licenseArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws(-(cn|us-gov|iso-b|iso-c|iso-d))?:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}$",
			],
			[
				{ Operation: "Check In" },
				"1 validation error detected: Value 'Check In' at 'operation' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z]+",
			],
			[
				{ MaxResults: 0 },
				"1 validation error detected: Value 0 at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
			],
			[
				{ MaxResults: 101, Start: "2032-13-01T00:00:00Z" },
				"2 validation errors detected: Value '2032-13-01T00:00:00Z' at 'start' failed to satisfy constraint: Member must be an ISO-8601 date-time; Value 101 at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
			],
			[
				{ Start: "2032-01-02T00:00:00Z", End: "2032-01-01T00:00:00Z" },
				"1 validation error detected: Start 2032-01-02T00:00:00.000Z must be earlier than End 2032-01-01T00:00:00.000Z",
			],
			[
				{ NextToken: "" },
				"1 validation error detected: Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1",
			],
		];
		for (const [body, message] of cases) {
			expectAwsError(
				await extensionCall("ListAuditEvents", body, seller),
				"ValidationException",
				message,
			);
		}
	});

	it("keeps events before an End past year 9999 (times compare as four-digit-year text)", async () => {
		const { seller } = await parties();
		setNow(T);
		const arn = expectOk(await call("CreateLicense", licenseInput(), {}, seller))
			.LicenseArn as string;
		await env.DB.prepare(
			`INSERT INTO audit_events (event_id, at, account_id, access_key_id, operation, resource_arn, request_id)
			 VALUES ('late', '9999-12-31T12:00:00.000Z', ?1, ?2, 'CheckInLicense', ?3, 'r-late')`,
		)
			.bind(seller.accountId, seller.accessKeyId, arn)
			.run();
		const res = await extensionCall(
			"ListAuditEvents",
			{ LicenseArn: arn, Start: "9999-12-31T00:00:00Z", End: "9999-12-31T23:59:59.999-01:00" },
			seller,
		);
		expect(events(res).map((e) => e.RequestId)).toEqual(["r-late"]);
	});

	it("shows an event recorded before migration 0004 without its token: re-keyed, no BorrowId", async () => {
		const { seller } = await parties();
		setNow(T - 100 * HOUR);
		const arn = expectOk(await call("CreateLicense", licenseInput(), {}, seller))
			.LicenseArn as string;
		const token = "ab".repeat(31);
		await env.DB.prepare(
			`INSERT INTO audit_events (event_id, at, account_id, access_key_id, operation, resource_arn, request_id, detail)
			 VALUES (?1, '2032-01-01T00:00:00.000Z', ?2, '-', 'ExpireBorrow', ?3, '-', ?4)`,
		)
			.bind(`expire:${token}`, seller.accountId, arn, token)
			.run();
		const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0004"));
		const rekey = migration?.queries.find((q) => q.includes("UPDATE audit_events"));
		expect(rekey).toBeDefined();
		await env.DB.prepare(rekey as string).run();

		const res = await extensionCall("ListAuditEvents", { LicenseArn: arn, MaxResults: 1 }, seller);
		const page = events(res);
		expect(page.map((e) => e.Operation)).toEqual(["CreateLicense"]);
		const rest = await extensionCall(
			"ListAuditEvents",
			{ LicenseArn: arn, NextToken: res.json.NextToken },
			seller,
		);
		expect(events(rest)).toEqual([
			{
				Time: "2032-01-01T00:00:00.000Z",
				Operation: "ExpireBorrow",
				Account: seller.accountId,
				AccessKeyId: "-",
				LicenseArn: arn,
				RequestId: "-",
			},
		]);
		for (const r of [res, rest]) expect(r.text).not.toContain(token);
		expect(positionOf(res.json.NextToken as string)).not.toContain(token);
	});
});
