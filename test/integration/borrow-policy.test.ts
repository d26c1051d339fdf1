import { describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, licenseInput } from "../helpers/fixtures";
import { ISSUER, OTHER } from "../helpers/principals";
import { call, extensionCall, type Reply } from "../helpers/wire";

/**
 * SPEC §10 borrow policy in LicenseMetadata: validated at CreateLicense and
 * CreateLicenseVersion, decided with capacity in one synchronous step (so a real
 * 40-way burst cannot pass it), refusals naming the rule.
 */

const TEN_SEATS = [{ Name: "Seats", Unit: "Count" as const, MaxCount: 10 }];

function metadata(entries: Record<string, string>) {
	return Object.entries(entries).map(([Name, Value]) => ({ Name, Value }));
}

async function policyLicense(entries: Record<string, string>, beneficiary = "My Beneficiary") {
	return expectOk(
		await call(
			"CreateLicense",
			licenseInput({
				Entitlements: TEN_SEATS,
				LicenseMetadata: metadata(entries),
				Beneficiary: beneficiary,
			}),
		),
	).LicenseArn as string;
}

async function burst(n: number, body: (i: number) => Record<string, unknown>, who = ISSUER) {
	return Promise.all(
		Array.from({ length: n }, (_, i) => call("CheckoutBorrowLicense", body(i), {}, who)),
	);
}

function tally(replies: Reply[]): { ok: number; refusals: Set<string> } {
	const refusals = new Set<string>();
	let ok = 0;
	for (const r of replies) {
		if (r.status === 200) ok += 1;
		else {
			expectAwsError(r, "NoEntitlementsAllowedException");
			refusals.add(r.json.message as string);
		}
	}
	return { ok, refusals };
}

async function seatsUsed(arn: string): Promise<string | undefined> {
	const out = expectOk(await call("GetLicenseUsage", { LicenseArn: arn }));
	return (
		out.LicenseUsage as { EntitlementUsages: { Name: string; ConsumedValue: string }[] }
	).EntitlementUsages.find((e) => e.Name === "Seats")?.ConsumedValue;
}

describe("borrow policy under a 40-way burst", () => {
	it("borrow.maxPerNode 1: exactly one of 40 concurrent borrows from one NodeId", async () => {
		const arn = await policyLicense({ "borrow.maxPerNode": "1" });
		const { ok, refusals } = tally(
			await burst(40, () =>
				checkoutBody(arn, { NodeId: "laptop-7", Entitlements: [{ Name: "Seats", Unit: "Count" }] }),
			),
		);
		expect(ok).toBe(1);
		expect([...refusals]).toEqual([
			"Borrow policy borrow.maxPerNode allows 1 live borrows per node; this NodeId holds 1.",
		]);
		expect(await seatsUsed(arn)).toBe("1");
		// Another node still borrows; a checkout without NodeId is a ValidationException.
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn, { NodeId: "laptop-8" })));
		expectAwsError(
			await call("CheckoutBorrowLicense", checkoutBody(arn)),
			"ValidationException",
			"1 validation error detected: NodeId is required: this license's borrow policy borrow.maxPerNode limits borrows per node.",
		);
		expect(await seatsUsed(arn)).toBe("2");
	});

	it("borrow.lowWater {Seats: 2} on MaxCount 10: exactly 8 lent", async () => {
		const arn = await policyLicense({ "borrow.lowWater": '{"Seats":2}' });
		const { ok, refusals } = tally(await burst(40, () => checkoutBody(arn)));
		expect(ok).toBe(8);
		expect([...refusals]).toEqual([
			"Borrow policy borrow.lowWater keeps 2 Count of 'Seats' from being lent; 0 can be borrowed, 1 requested. Nothing was reserved.",
		]);
		expect(await seatsUsed(arn)).toBe("8");
	});

	it("borrow.maxPerAccount 3: exactly 3 for one account, and the other account's borrows are its own", async () => {
		const arn = await policyLicense({ "borrow.maxPerAccount": "3" }, `Account ${OTHER.accountId}`);
		const replies = await Promise.all([
			...Array.from({ length: 40 }, () =>
				call("CheckoutBorrowLicense", checkoutBody(arn), {}, ISSUER),
			),
			...Array.from({ length: 5 }, () =>
				call("CheckoutBorrowLicense", checkoutBody(arn), {}, OTHER),
			),
		]);
		expect(tally(replies.slice(0, 40))).toEqual({
			ok: 3,
			refusals: new Set([
				"Borrow policy borrow.maxPerAccount allows 3 live borrows per account; this account holds 3.",
			]),
		});
		expect(tally(replies.slice(40)).ok).toBe(3);
		expect(await seatsUsed(arn)).toBe("6");
	});
});

describe("borrow policy validation", () => {
	const cases: [Record<string, string>, string][] = [
		[
			{ "borrow.maxPerHost": "1" },
			"License metadata entry 'borrow.maxPerHost' is not a borrow policy: the reserved names are borrow.lowWater, borrow.maxPerNode and borrow.maxPerAccount",
		],
		[
			{ "borrow.lowWater": "{Seats: 2}" },
			"License metadata entry 'borrow.lowWater' is not valid JSON",
		],
		[
			{ "borrow.lowWater": '{"Cores":1}' },
			"License metadata entry 'borrow.lowWater' names 'Cores', which is not an entitlement",
		],
		[
			{ "borrow.lowWater": '["Seats"]' },
			"License metadata entry 'borrow.lowWater' must be a JSON object of entitlement name to units",
		],
		[
			{ "borrow.lowWater": '{"Seats":1.5}' },
			"License metadata entry 'borrow.lowWater': units of 'Seats' must be an integer of at least 1",
		],
		[
			{ "borrow.maxPerNode": "0" },
			"License metadata entry 'borrow.maxPerNode' must be an integer of at least 1",
		],
		[
			{ "borrow.maxPerNode": '"2"' },
			"License metadata entry 'borrow.maxPerNode' must be an integer of at least 1",
		],
		[
			{ "borrow.maxPerAccount": "2.5" },
			"License metadata entry 'borrow.maxPerAccount' must be an integer of at least 1",
		],
		[
			{ "borrow.maxPerAccount": "" },
			"License metadata entry 'borrow.maxPerAccount' is not valid JSON",
		],
	];

	it("refuses a malformed policy at CreateLicense, naming the entry, and creates nothing", async () => {
		for (const [entries, message] of cases) {
			const input = licenseInput({ Entitlements: TEN_SEATS, LicenseMetadata: metadata(entries) });
			expectAwsError(
				await call("CreateLicense", input),
				"ValidationException",
				`1 validation error detected: ${message}`,
			);
		}
		// Names outside borrow.* are the seller's own, and "borrow" alone is not reserved.
		await policyLicense({ borrowed: "x", "Borrow.maxPerNode": "abc" });
	});

	it("refuses a malformed policy at CreateLicenseVersion; a new version's policy leaves live borrows alone", async () => {
		const created = licenseInput({ Entitlements: TEN_SEATS });
		const arn = expectOk(await call("CreateLicense", created)).LicenseArn as string;
		const live = await Promise.all(
			[1, 2, 3].map(() =>
				call("CheckoutBorrowLicense", checkoutBody(arn, { NodeId: "node-a" })).then(
					(r) => expectOk(r).LicenseConsumptionToken as string,
				),
			),
		);
		const version = (entries: Record<string, string>, token: string) => ({
			LicenseArn: arn,
			LicenseName: created.LicenseName,
			ProductName: created.ProductName,
			Issuer: created.Issuer,
			HomeRegion: created.HomeRegion,
			Validity: created.Validity,
			Entitlements: TEN_SEATS,
			ConsumptionConfiguration: created.ConsumptionConfiguration,
			LicenseMetadata: metadata(entries),
			Status: "AVAILABLE",
			ClientToken: token,
		});
		expectAwsError(
			await call("CreateLicenseVersion", version({ "borrow.maxPerNode": "-1" }, "v-bad")),
			"ValidationException",
			"1 validation error detected: License metadata entry 'borrow.maxPerNode' must be an integer of at least 1",
		);
		expectOk(await call("CreateLicenseVersion", version({ "borrow.maxPerNode": "1" }, "v-ok")));
		const listed = expectOk(
			await extensionCall("ListBorrows", { LicenseArn: arn, Status: "ACTIVE" }),
		);
		expect((listed.Borrows as { BorrowId: string }[]).map((b) => b.BorrowId).sort()).toEqual(
			live.map(borrowIdOf).sort(),
		);
		expect(await seatsUsed(arn)).toBe("3");
		expectAwsError(
			await call("CheckoutBorrowLicense", checkoutBody(arn, { NodeId: "node-a" })),
			"NoEntitlementsAllowedException",
			"Borrow policy borrow.maxPerNode allows 1 live borrows per node; this NodeId holds 3.",
		);
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn, { NodeId: "node-b" })));
		// GetLicense shows the policy as it was given.
		const got = expectOk(await call("GetLicense", { LicenseArn: arn }));
		expect((got.License as { LicenseMetadata: unknown }).LicenseMetadata).toEqual([
			{ Name: "borrow.maxPerNode", Value: "1" },
		]);
	});
});
