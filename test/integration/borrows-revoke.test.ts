import { runInDurableObject } from "cloudflare:test";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
	fetchRevocationList,
	verifyBorrowToken,
	verifyRevocationList,
} from "../../packages/verify/src/index";
import { borrowIdOf } from "../../src/borrowId";
import { advanceClockForTests, clock, setClockOffsetForTests } from "../../src/clock";
import { parseLicenseArn } from "../../src/licenseIds";
import { expectAlarmRan, expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, licenseInput } from "../helpers/fixtures";
import { freshPrincipal, putPrincipal, type TestPrincipal } from "../helpers/principals";
import { typedClient } from "../helpers/sdk";
import { d1Rows, stubOf } from "../helpers/storage";
import { call, extensionCall, workerFetch } from "../helpers/wire";

/**
 * SPEC §8 RevokeBorrow and ListBorrows, SPEC §9 the revocation list, end to end over
 * signed HTTP: real license objects, D1, the shipped verifier.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let seq = 0;
async function parties(): Promise<{ seller: TestPrincipal; buyer: TestPrincipal }> {
	const account = () =>
		`8${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(2, "0")}`;
	const seller = freshPrincipal(account(), "SELLR");
	const buyer = freshPrincipal(account(), "BUYER");
	await putPrincipal(seller);
	await putPrincipal(buyer);
	return { seller, buyer };
}

/** A license of `seller` whose beneficiary account is `buyer`'s. */
async function sellerLicense(seller: TestPrincipal, buyer: TestPrincipal): Promise<string> {
	return expectOk(
		await call(
			"CreateLicense",
			licenseInput({ Beneficiary: `Account ${buyer.accountId}` }),
			{},
			seller,
		),
	).LicenseArn as string;
}

function revocationsUrl(arn: string): string {
	return `http://license-manager.test/revocations/${parseLicenseArn(arn)?.licenseId}`;
}

async function jwks(): Promise<JSONWebKeySet> {
	return (await (
		await workerFetch("http://license-manager.test/.well-known/jwks.json")
	).json()) as JSONWebKeySet;
}

/** The list through jose, as any client library would check it. */
async function listedJtis(arn: string): Promise<string[]> {
	const res = await workerFetch(revocationsUrl(arn));
	expect(res.status).toBe(200);
	const { payload } = await jwtVerify(await res.text(), createLocalJWKSet(await jwks()), {
		algorithms: ["PS384"],
		typ: "revocation-list+jwt",
		subject: arn,
		currentDate: new Date(clock.now()),
	});
	return (payload.revoked as { jti: string }[]).map((e) => e.jti);
}

async function drain(arn: string): Promise<void> {
	await runInDurableObject(stubOf(arn), (instance) => instance.drainOutbox());
}

beforeAll(() => {
	setClockOffsetForTests(0);
});

describe("RevokeBorrow of an active borrow", () => {
	it("returns its quantities at once, lists it, refuses its token offline, and records it in D1", async () => {
		const { seller, buyer } = await parties();
		const arn = await sellerLicense(seller, buyer);
		const checkout = expectOk(
			await call(
				"CheckoutBorrowLicense",
				checkoutBody(arn, {
					NodeId: "laptop-1",
					Entitlements: [{ Name: "Seats", Unit: "Count", Value: "3" }],
				}),
				{},
				buyer,
			),
		);
		const token = checkout.LicenseConsumptionToken as string;
		const signed = checkout.SignedToken as string;
		const borrowId = borrowIdOf(token);
		const usage = async () =>
			(
				expectOk(await call("GetLicenseUsage", { LicenseArn: arn }, {}, seller)).LicenseUsage as {
					EntitlementUsages: { Name: string; ConsumedValue: string }[];
				}
			).EntitlementUsages.find((e) => e.Name === "Seats")?.ConsumedValue;
		expect(await usage()).toBe("3");

		const listed = expectOk(await extensionCall("ListBorrows", { LicenseArn: arn }, seller));
		expect(listed).toEqual({
			Borrows: [
				{
					BorrowId: borrowId,
					Account: buyer.accountId,
					NodeId: "laptop-1",
					EntitlementsAllowed: [{ Name: "Seats", Unit: "Count", Value: "3" }],
					IssuedAt: checkout.IssuedAt,
					Expiration: checkout.Expiration,
					Status: "ACTIVE",
				},
			],
		});

		// The shipped verifier accepts the token before the revocation (with the list as it is then).
		const keys = await jwks();
		const before = await verifyRevocationList(
			await (await workerFetch(revocationsUrl(arn))).text(),
			{
				keys,
				licenseArn: arn,
				now: clock.now(),
			},
		);
		await expect(
			verifyBorrowToken(signed, {
				keys,
				licenseArn: arn,
				now: clock.now(),
				revocationList: before,
			}),
		).resolves.toMatchObject({ jti: borrowId });

		const revoke = await extensionCall(
			"RevokeBorrow",
			{ LicenseArn: arn, BorrowId: borrowId, Reason: "Laptop reported stolen" },
			seller,
		);
		const revoked = expectOk(revoke);
		expect(revoked).toEqual({
			BorrowId: borrowId,
			Status: "REVOKED",
			RevokedAt: new Date(Math.floor(clock.now() / 1000) * 1000)
				.toISOString()
				.replace(".000Z", "Z"),
		});
		expect(await usage()).toBe("0");
		const after = expectOk(await extensionCall("ListBorrows", { LicenseArn: arn }, seller));
		expect(after.Borrows).toEqual([
			{
				...(listed.Borrows as object[])[0],
				Status: "REVOKED",
				EndedAt: revoked.RevokedAt,
				RevokedAt: revoked.RevokedAt,
				RevokeReason: "Laptop reported stolen",
			},
		]);

		// SPEC §9: on the list (verified by jose against the JWKS), never the token itself.
		expect(await listedJtis(arn)).toEqual([borrowId]);
		const listText = await (await workerFetch(revocationsUrl(arn))).text();
		expect(listText).not.toContain(token);
		const list = await verifyRevocationList(listText, { keys, licenseArn: arn, now: clock.now() });
		expect([...list.revoked]).toEqual([
			[borrowId, { exp: Date.parse(checkout.Expiration as string) / 1000, reason: "REVOKED" }],
		]);
		await expect(
			verifyBorrowToken(signed, { keys, licenseArn: arn, now: clock.now(), revocationList: list }),
		).rejects.toMatchObject({ name: "BorrowTokenError", code: "REVOKED" });
		// The fetch helper: same checks, over HTTP (the test's worker stands in for fetch).
		const realFetch = globalThis.fetch;
		globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
			workerFetch(new Request(input, init))) as typeof fetch;
		try {
			const fetched = await fetchRevocationList(
				`https://license-manager.test/revocations/${parseLicenseArn(arn)?.licenseId}`,
				{ keys, licenseArn: arn, now: clock.now() },
			);
			expect(fetched.revoked.has(borrowId)).toBe(true);
		} finally {
			globalThis.fetch = realFetch;
		}

		// The borrower: Extend refused ("revoked"), CheckIn succeeds and changes nothing.
		expectAwsError(
			await call("ExtendLicenseConsumption", { LicenseConsumptionToken: token }, {}, buyer),
			"ValidationException",
			/revoked/,
		);
		expect(
			expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }, {}, buyer)),
		).toEqual({});
		expect(await usage()).toBe("0");
		expect(
			(
				expectOk(await extensionCall("ListBorrows", { LicenseArn: arn }, seller)).Borrows as {
					Status: string;
				}[]
			)[0]?.Status,
		).toBe("REVOKED");

		// Revoking again answers the same, byte for byte but the request id.
		const again = await extensionCall(
			"RevokeBorrow",
			{ LicenseArn: arn, BorrowId: borrowId },
			seller,
		);
		expect(again.text).toBe(revoke.text);

		// D1: the checkout row says REVOKED; the audit trail names the BorrowId, never the token.
		await drain(arn);
		expect(
			await d1Rows("SELECT status, returned_at FROM checkouts WHERE borrow_id = ?", borrowId),
		).toEqual([{ status: "REVOKED", returned_at: revoked.RevokedAt }]);
		const audit = await d1Rows(
			"SELECT operation, account_id, borrow_id, detail, event_id FROM audit_events WHERE resource_arn = ? AND operation = 'RevokeBorrow'",
			arn,
		);
		expect(audit).toEqual([
			{
				operation: "RevokeBorrow",
				account_id: seller.accountId,
				borrow_id: borrowId,
				detail: null,
				event_id: expect.any(String),
			},
		]);
		expect(JSON.stringify(audit)).not.toContain(token);
		const events = expectOk(
			await extensionCall(
				"ListAuditEvents",
				{ LicenseArn: arn, Operation: "RevokeBorrow" },
				seller,
			),
		);
		expect(events.Events).toMatchObject([{ Operation: "RevokeBorrow", BorrowId: borrowId }]);
	});

	it("revokes a checked-in borrow (its token stays listed, now as REVOKED) and keeps its check-in time", async () => {
		const { seller, buyer } = await parties();
		const arn = await sellerLicense(seller, buyer);
		const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn), {}, buyer))
			.LicenseConsumptionToken as string;
		advanceClockForTests(MINUTE);
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }, {}, buyer));
		const checkedInAt = (
			expectOk(await extensionCall("ListBorrows", { LicenseArn: arn }, seller)).Borrows as {
				EndedAt: string;
			}[]
		)[0]?.EndedAt;
		const keys = await jwks();
		const before = await verifyRevocationList(
			await (await workerFetch(revocationsUrl(arn))).text(),
			{ keys, licenseArn: arn, now: clock.now() },
		);
		expect(before.revoked.get(borrowIdOf(token))?.reason).toBe("CHECKED_IN");
		advanceClockForTests(MINUTE);
		const { RevokedAt } = expectOk(
			await extensionCall("RevokeBorrow", { LicenseArn: arn, BorrowId: borrowIdOf(token) }, seller),
		);
		const after = await verifyRevocationList(
			await (await workerFetch(revocationsUrl(arn))).text(),
			{ keys, licenseArn: arn, now: clock.now() },
		);
		expect(after.revoked.get(borrowIdOf(token))?.reason).toBe("REVOKED");
		expect(
			expectOk(await extensionCall("ListBorrows", { LicenseArn: arn }, seller)).Borrows,
		).toEqual([
			expect.objectContaining({
				Status: "REVOKED",
				EndedAt: checkedInAt,
				RevokedAt,
			}),
		]);
		// No Reason given: none listed.
		expect(
			(
				expectOk(await extensionCall("ListBorrows", { LicenseArn: arn }, seller))
					.Borrows as object[]
			)[0],
		).not.toHaveProperty("RevokeReason");
	});

	it("refuses an expired borrow with ValidationException and changes nothing", async () => {
		const { seller, buyer } = await parties();
		const arn = await sellerLicense(seller, buyer);
		const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn), {}, buyer))
			.LicenseConsumptionToken as string;
		advanceClockForTests(HOUR + MINUTE); // TTL is 60 minutes
		await expectAlarmRan(arn);
		const before = await extensionCall("ListBorrows", { LicenseArn: arn }, seller);
		expect(expectOk(before).Borrows).toMatchObject([{ Status: "EXPIRED" }]);
		expectAwsError(
			await extensionCall("RevokeBorrow", { LicenseArn: arn, BorrowId: borrowIdOf(token) }, seller),
			"ValidationException",
			`Borrow ${borrowIdOf(token)} has expired; its token no longer verifies, so there is nothing to revoke.`,
		);
		expect((await extensionCall("ListBorrows", { LicenseArn: arn }, seller)).text).toBe(
			before.text,
		);
		expect(await listedJtis(arn)).toEqual([]);
	});

	it("is the issuer's only: the beneficiary and others are denied, unknown ids are not found", async () => {
		const { seller, buyer } = await parties();
		const { seller: stranger } = await parties();
		const arn = await sellerLicense(seller, buyer);
		const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn), {}, buyer))
			.LicenseConsumptionToken as string;
		const body = { LicenseArn: arn, BorrowId: borrowIdOf(token) };
		expectAwsError(
			await extensionCall("RevokeBorrow", body, buyer),
			"AccessDeniedException",
			"Only the issuer account can change this license.",
		);
		expectAwsError(
			await extensionCall("RevokeBorrow", body, stranger),
			"AccessDeniedException",
			"Only the issuer account can change this license.",
		);
		const unknown = borrowIdOf("not-a-borrow");
		expectAwsError(
			await extensionCall("RevokeBorrow", { LicenseArn: arn, BorrowId: unknown }, seller),
			"ResourceNotFoundException",
			`Borrow ${unknown} does not exist.`,
		);
		// The consumption token is not a BorrowId: refused by shape, before any lookup.
		expectAwsError(
			await extensionCall("RevokeBorrow", { LicenseArn: arn, BorrowId: token }, seller),
			"ValidationException",
			/borrowId/,
		);
		expectAwsError(
			await extensionCall("RevokeBorrow", { ...body, Reason: "x".repeat(257) }, seller),
			"ValidationException",
			/at 'reason' failed to satisfy constraint: Member must have length less than or equal to 256/,
		);
		expectAwsError(
			await extensionCall("RevokeBorrow", { ...body, Reason: "line\nbreak" }, seller),
			"ValidationException",
			/at 'reason'.*printable characters/,
		);
		expectAwsError(
			await extensionCall("ListBorrows", { LicenseArn: arn }, stranger),
			"AccessDeniedException",
		);
		// Nothing changed.
		expect(
			expectOk(await extensionCall("ListBorrows", { LicenseArn: arn }, seller)).Borrows,
		).toMatchObject([{ Status: "ACTIVE" }]);
	});

	it("the typed client sends both operations", async () => {
		const { seller, buyer } = await parties();
		const arn = await sellerLicense(seller, buyer);
		const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn), {}, buyer))
			.LicenseConsumptionToken as string;
		const client = typedClient(seller);
		const { Borrows } = await client.listBorrows({ LicenseArn: arn, Status: "ACTIVE" });
		expect(Borrows.map((b) => b.BorrowId)).toEqual([borrowIdOf(token)]);
		await expect(
			client.revokeBorrow({ LicenseArn: arn, BorrowId: borrowIdOf(token) }),
		).resolves.toMatchObject({ BorrowId: borrowIdOf(token), Status: "REVOKED" });
		await expect(client.listBorrows({ LicenseArn: arn, Status: "ACTIVE" })).resolves.toEqual({
			Borrows: [],
		});
	});
});
