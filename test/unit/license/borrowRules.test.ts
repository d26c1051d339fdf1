import { describe, expect, it } from "vitest";
import {
	borrowExpiration,
	borrowRefusal,
	checkInDecision,
	extendRefusal,
	type Holdings,
	liveBorrowLimitRefusal,
	planBorrow,
	usageReport,
} from "../../../src/license/borrowRules";
import { BENEFICIARY, borrow, license, STRANGER, T0 } from "./fixtures";

/** SPEC §4 and §11: a borrow's rules, decided from values and a given time. */

function held(
	units: Record<string, number> = {},
	borrows = 0,
	per: { nodes?: Record<string, number>; accounts?: Record<string, number> } = {},
): Holdings {
	return {
		units: (name) => units[name] ?? 0,
		borrows,
		nodeBorrows: (node) => per.nodes?.[node] ?? 0,
		accountBorrows: (account) => per.accounts?.[account] ?? 0,
	};
}

/** The borrower of most cases: an account, no node. */
const BORROWER = { accountId: BENEFICIARY };

describe("borrowRefusal", () => {
	it("lends an AVAILABLE license within its validity that has a BorrowConfiguration", () => {
		expect(borrowRefusal(license(), T0)).toBeNull();
	});

	it("names why a license does not lend now", () => {
		expect(borrowRefusal(license({ Status: "SUSPENDED" }), T0)).toEqual({
			type: "NoEntitlementsAllowedException",
			message: `License ${license().LicenseArn} is SUSPENDED; only AVAILABLE licenses can be borrowed.`,
		});
		expect(
			borrowRefusal(license({ Validity: { Begin: "2031-01-01T00:00:00Z" } }), T0)?.message,
		).toBe("License is not valid before 2031-01-01T00:00:00Z.");
		const ended = { Begin: "2029-01-01T00:00:00Z", End: "2030-01-01T00:00:00Z" };
		expect(borrowRefusal(license({ Validity: ended }), T0)?.message).toBe(
			"License validity ended at 2030-01-01T00:00:00Z.",
		);
		expect(borrowRefusal(license({ ConsumptionConfiguration: {} }), T0)?.message).toBe(
			"License does not allow borrowing: it has no BorrowConfiguration.",
		);
	});
});

describe("planBorrow", () => {
	it("leases every requested entitlement; None units hold nothing and carry the license's Value", () => {
		const plan = planBorrow(
			license(),
			[
				{ Name: "Seats", Unit: "Count", Value: "3" },
				{ Name: "Tier", Unit: "None" },
			],
			held({ Seats: 7 }),
			BORROWER,
		);
		expect(plan).toEqual({
			ok: true,
			value: [
				{ name: "Seats", unit: "Count", value: "3", quantity: 3 },
				{ name: "Tier", unit: "None", value: "gold", quantity: 0 },
			],
		});
	});

	it("refuses all or nothing when one entitlement does not fit, counting what is held", () => {
		expect(
			planBorrow(
				license(),
				[{ Name: "Seats", Unit: "Count", Value: "4" }],
				held({ Seats: 7 }),
				BORROWER,
			),
		).toEqual({
			ok: false,
			error: {
				type: "NoEntitlementsAllowedException",
				message:
					"Entitlement 'Seats' has 3 of 10 Count available; 4 requested. Partial checkouts are not supported: nothing was reserved.",
			},
		});
	});

	it("refuses entitlements the license lacks or measures otherwise", () => {
		expect(planBorrow(license(), [{ Name: "Cores", Unit: "Count" }], held(), BORROWER)).toEqual({
			ok: false,
			error: {
				type: "EntitlementNotAllowedException",
				message: "Entitlement 'Cores' is not on this license.",
			},
		});
		expect(planBorrow(license(), [{ Name: "Seats", Unit: "Bytes" }], held(), BORROWER)).toEqual({
			ok: false,
			error: {
				type: "EntitlementNotAllowedException",
				message: "Entitlement 'Seats' is measured in Count, not Bytes.",
			},
		});
	});

	it("lets Overage pass MaxCount but never a total past 2^53-1", () => {
		const overage = license({
			Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 1, Overage: true }],
		});
		const want = [{ Name: "Seats", Unit: "Count" as const, Value: "5" }];
		expect(planBorrow(overage, want, held({ Seats: 1 }), BORROWER).ok).toBe(true);
		expect(
			planBorrow(overage, want, held({ Seats: Number.MAX_SAFE_INTEGER - 4 }), BORROWER),
		).toEqual({
			ok: false,
			error: {
				type: "NoEntitlementsAllowedException",
				message: `Entitlement 'Seats' cannot be borrowed further: its total would exceed ${Number.MAX_SAFE_INTEGER}.`,
			},
		});
	});
});

describe("planBorrow with a borrow policy (SPEC §10)", () => {
	const policy = (entries: Record<string, string>) =>
		license({ LicenseMetadata: Object.entries(entries).map(([Name, Value]) => ({ Name, Value })) });
	const seat = [{ Name: "Seats", Unit: "Count" as const, Value: "1" }];

	it("borrow.lowWater keeps units from being lent, counting what is held", () => {
		const low = policy({ "borrow.lowWater": '{"Seats":2}' });
		expect(planBorrow(low, seat, held({ Seats: 7 }), BORROWER).ok).toBe(true);
		expect(planBorrow(low, seat, held({ Seats: 8 }), BORROWER)).toEqual({
			ok: false,
			error: {
				type: "NoEntitlementsAllowedException",
				message:
					"Borrow policy borrow.lowWater keeps 2 Count of 'Seats' from being lent; 0 can be borrowed, 1 requested. Nothing was reserved.",
			},
		});
	});

	it("borrow.maxPerNode needs a NodeId and counts the node's live borrows", () => {
		const perNode = policy({ "borrow.maxPerNode": "1" });
		expect(planBorrow(perNode, seat, held(), BORROWER)).toMatchObject({
			ok: false,
			error: {
				type: "ValidationException",
				message: expect.stringMatching(/NodeId is required.*borrow\.maxPerNode/),
			},
		});
		const node = { ...BORROWER, nodeId: "n-1" };
		expect(planBorrow(perNode, seat, held(), node).ok).toBe(true);
		expect(planBorrow(perNode, seat, held({}, 1, { nodes: { "n-2": 1 } }), node).ok).toBe(true);
		expect(planBorrow(perNode, seat, held({}, 1, { nodes: { "n-1": 1 } }), node)).toEqual({
			ok: false,
			error: {
				type: "NoEntitlementsAllowedException",
				message:
					"Borrow policy borrow.maxPerNode allows 1 live borrows per node; this NodeId holds 1.",
			},
		});
	});

	it("borrow.maxPerAccount counts the borrowing account's borrows", () => {
		const perAccount = policy({ "borrow.maxPerAccount": "2" });
		expect(
			planBorrow(perAccount, seat, held({}, 2, { accounts: { [BENEFICIARY]: 1 } }), BORROWER).ok,
		).toBe(true);
		expect(
			planBorrow(perAccount, seat, held({}, 2, { accounts: { [BENEFICIARY]: 2 } }), BORROWER),
		).toEqual({
			ok: false,
			error: {
				type: "NoEntitlementsAllowedException",
				message:
					"Borrow policy borrow.maxPerAccount allows 2 live borrows per account; this account holds 2.",
			},
		});
	});
});

describe("liveBorrowLimitRefusal", () => {
	it("allows one more borrow below the limit and names the limit at it", () => {
		expect(liveBorrowLimitRefusal(held({}, 4), 5)).toBeNull();
		expect(liveBorrowLimitRefusal(held({}, 5), 5)).toEqual({
			ok: false,
			error: {
				type: "ResourceLimitExceededException",
				message:
					"Limit exceeded: at most 5 live borrows per license. Check in or wait for borrows to expire, then check out again.",
			},
		});
	});
});

describe("borrowExpiration", () => {
	it("is now + the license's TTL, bounded by the deployment's maximum and the validity's end", () => {
		expect(borrowExpiration(license(), T0, 1440)).toBe(T0 + 60 * 60_000);
		expect(borrowExpiration(license(), T0, 30)).toBe(T0 + 30 * 60_000);
		const end = "2030-01-01T00:10:00Z";
		expect(
			borrowExpiration(
				license({ Validity: { Begin: "2029-01-01T00:00:00Z", End: end } }),
				T0,
				1440,
			),
		).toBe(Date.parse(end));
	});
});

describe("checkInDecision", () => {
	it("checks in a live borrow early, settles an expired one, and repeats as a no-op", () => {
		expect(checkInDecision(borrow(), license(), undefined, T0)).toEqual({
			ok: true,
			value: "check-in",
		});
		expect(checkInDecision(borrow(), license(), undefined, borrow().expiresAt)).toEqual({
			ok: true,
			value: "expire",
		});
		expect(checkInDecision(borrow({ status: "CHECKED_IN" }), license(), undefined, T0)).toEqual({
			ok: true,
			value: "unchanged",
		});
	});

	it("refuses early check-in the license or an entitlement forbids, and a wrong Beneficiary", () => {
		const noEarly = license({
			ConsumptionConfiguration: {
				BorrowConfiguration: { AllowEarlyCheckIn: false, MaxTimeToLiveInMinutes: 60 },
			},
		});
		expect(checkInDecision(borrow(), noEarly, undefined, T0)).toEqual({
			ok: false,
			error: {
				type: "ValidationException",
				message: "Early check-in is not allowed: BorrowConfiguration.AllowEarlyCheckIn is false.",
			},
		});
		const pinned = license({
			Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 10, AllowCheckIn: false }],
		});
		expect(checkInDecision(borrow(), pinned, undefined, T0)).toEqual({
			ok: false,
			error: {
				type: "ValidationException",
				message: "Early check-in is not allowed: entitlement 'Seats' has AllowCheckIn false.",
			},
		});
		expect(checkInDecision(borrow(), license(), BENEFICIARY, T0).ok).toBe(true);
		expect(checkInDecision(borrow(), license(), STRANGER, T0)).toEqual({
			ok: false,
			error: {
				type: "ValidationException",
				message: "Beneficiary does not match the account that borrowed this license.",
			},
		});
	});
});

describe("extendRefusal", () => {
	it("extends only a live borrow of a license that still lends", () => {
		expect(extendRefusal(borrow(), license(), T0)).toBeNull();
		expect(extendRefusal(borrow({ status: "CHECKED_IN" }), license(), T0)?.error.message).toBe(
			"The borrow was checked in; check out again instead of extending it.",
		);
		expect(extendRefusal(borrow(), license(), borrow().expiresAt)?.error.message).toBe(
			"The borrow has expired; check out again instead of extending it.",
		);
		expect(extendRefusal(borrow(), license({ Status: "SUSPENDED" }), T0)).toEqual({
			ok: false,
			error: {
				type: "ValidationException",
				message: "License is SUSPENDED; only borrows of AVAILABLE licenses can be extended.",
			},
		});
	});
});

describe("usageReport", () => {
	it("reports what live borrows hold; None units hold nothing", () => {
		expect(JSON.parse(usageReport(license(), (name) => (name === "Seats" ? 4 : 9)))).toEqual({
			LicenseUsage: {
				EntitlementUsages: [
					{ Name: "Seats", ConsumedValue: "4", MaxCount: "10", Unit: "Count" },
					{ Name: "Tier", ConsumedValue: "0", Unit: "None" },
				],
			},
		});
	});
});
