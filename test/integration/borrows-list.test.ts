import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import worker from "../../src/index";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, licenseInput } from "../helpers/fixtures";
import { freshPrincipal, putPrincipal, type TestPrincipal } from "../helpers/principals";
import { envWith } from "../helpers/vars";
import { call, extensionCall, signedRequest } from "../helpers/wire";

/** SPEC §8 ListBorrows: newest first, keyed paging, filters, visibility, the byte limit. */

let seq = 0;
async function principal(label: string): Promise<TestPrincipal> {
	const account = `6${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(2, "0")}`;
	const p = freshPrincipal(account, label);
	await putPrincipal(p);
	return p;
}

type Listed = { BorrowId: string; Account: string; NodeId?: string; Status: string };

async function allPages(
	body: Record<string, unknown>,
	who: TestPrincipal,
): Promise<{ borrows: Listed[]; pages: number }> {
	const borrows: Listed[] = [];
	let pages = 0;
	let next: string | undefined;
	do {
		const out = expectOk(
			await extensionCall("ListBorrows", { ...body, ...(next ? { NextToken: next } : {}) }, who),
		);
		pages += 1;
		borrows.push(...(out.Borrows as Listed[]));
		next = out.NextToken as string | undefined;
	} while (next);
	return { borrows, pages };
}

describe("ListBorrows", () => {
	it("pages 250 borrows 17 at a time, newest first, each once; the beneficiary sees only its own", async () => {
		const seller = await principal("LSELL");
		const buyer = await principal("LBUY");
		const arn = expectOk(
			await call(
				"CreateLicense",
				licenseInput({
					Beneficiary: `Account ${buyer.accountId}`,
					Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 1000 }],
				}),
				{},
				seller,
			),
		).LicenseArn as string;
		const ids: string[] = [];
		const buyers = new Set<string>();
		// 250 borrows in waves of 25 (same-second IssuedAt: BorrowId breaks the tie).
		for (let wave = 0; wave < 10; wave++) {
			const outs = await Promise.all(
				Array.from({ length: 25 }, (_, i) => {
					const who = i % 5 === 0 ? buyer : seller;
					return call(
						"CheckoutBorrowLicense",
						checkoutBody(arn, { NodeId: `node-${i % 3}` }),
						{},
						who,
					).then((res) => ({ who, out: expectOk(res) }));
				}),
			);
			for (const { who, out } of outs) {
				const id = borrowIdOf(out.LicenseConsumptionToken as string);
				ids.push(id);
				if (who === buyer) buyers.add(id);
			}
		}

		const { borrows, pages } = await allPages({ LicenseArn: arn, MaxResults: 17 }, seller);
		expect(pages).toBe(Math.ceil(250 / 17));
		expect(borrows.map((b) => b.BorrowId).sort()).toEqual([...ids].sort());
		expect(new Set(borrows.map((b) => b.BorrowId)).size).toBe(250);
		// Newest first: IssuedAt never increases along the listing.
		const issued = (borrows as unknown as { IssuedAt: string }[]).map((b) =>
			Date.parse(b.IssuedAt),
		);
		expect(issued).toEqual([...issued].sort((a, b) => b - a));

		const own = await allPages({ LicenseArn: arn, MaxResults: 17 }, buyer);
		expect(own.borrows.map((b) => b.BorrowId).sort()).toEqual([...buyers].sort());
		expect(new Set(own.borrows.map((b) => b.Account))).toEqual(new Set([buyer.accountId]));

		// Filters: NodeId and Status.
		const node1 = await allPages({ LicenseArn: arn, NodeId: "node-1", MaxResults: 100 }, seller);
		expect(node1.borrows.length).toBe(80);
		expect(node1.borrows.every((b) => b.NodeId === "node-1")).toBe(true);
		const checkedIn = await allPages({ LicenseArn: arn, Status: "CHECKED_IN" }, seller);
		expect(checkedIn.borrows).toEqual([]);
	});

	it("binds a NextToken to the caller and the filters", async () => {
		const seller = await principal("TSELL");
		const arn = expectOk(await call("CreateLicense", licenseInput(), {}, seller))
			.LicenseArn as string;
		for (let i = 0; i < 3; i++)
			expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn), {}, seller));
		const first = expectOk(
			await extensionCall("ListBorrows", { LicenseArn: arn, MaxResults: 1 }, seller),
		);
		const token = first.NextToken as string;
		expect(token).toEqual(expect.any(String));
		const invalid = "The NextToken is not valid for this request.";
		expectAwsError(
			await extensionCall(
				"ListBorrows",
				{ LicenseArn: arn, MaxResults: 1, Status: "ACTIVE", NextToken: token },
				seller,
			),
			"ValidationException",
			invalid,
		);
		expectAwsError(
			await extensionCall("ListBorrows", { LicenseArn: arn, NextToken: `${token}x` }, seller),
			"ValidationException",
			invalid,
		);
		const other = await principal("TOTH");
		expectAwsError(
			await extensionCall("ListBorrows", { LicenseArn: arn, NextToken: token }, other),
			"ValidationException",
			invalid,
		);
		for (const [body, pattern] of [
			[{ LicenseArn: arn, MaxResults: 0 }, /maxResults/],
			[{ LicenseArn: arn, MaxResults: 101 }, /maxResults/],
			[
				{ LicenseArn: arn, Status: "active" },
				/status.*enum value set: \[ACTIVE, CHECKED_IN, EXPIRED, REVOKED\]/,
			],
			[{ LicenseArn: arn, NodeId: "" }, /nodeId/],
			[{}, /licenseArn/],
		] as const) {
			expectAwsError(
				await extensionCall("ListBorrows", body, seller),
				"ValidationException",
				pattern,
			);
		}
	});

	it("ends a page early at the response byte limit (MAX_LIST_RESPONSE_BYTES) and still returns every borrow once", async () => {
		const seller = await principal("BSELL");
		const arn = expectOk(await call("CreateLicense", licenseInput(), {}, seller))
			.LicenseArn as string;
		for (let i = 0; i < 5; i++)
			expectOk(
				await call("CheckoutBorrowLicense", checkoutBody(arn, { NodeId: `n-${i}` }), {}, seller),
			);
		const one = (
			expectOk(await extensionCall("ListBorrows", { LicenseArn: arn, MaxResults: 1 }, seller))
				.Borrows as object[]
		)[0];
		const bytes = JSON.stringify(one).length;
		const vars = { MAX_LIST_RESPONSE_BYTES: String(8 * 1024 + 2 * bytes + 1) };
		const seen: string[] = [];
		let next: string | undefined;
		let pages = 0;
		do {
			const request = await signedRequest(
				"ListBorrows",
				JSON.stringify({ LicenseArn: arn, ...(next ? { NextToken: next } : {}) }),
				seller,
				{ "x-amz-target": "EdgeLicenseManager.ListBorrows" },
			);
			const res = await worker.fetch(request, envWith(vars), createExecutionContext());
			expect(res.status).toBe(200);
			const out = (await res.json()) as { Borrows: { BorrowId: string }[]; NextToken?: string };
			expect(out.Borrows.length).toBeLessThanOrEqual(2);
			seen.push(...out.Borrows.map((b) => b.BorrowId));
			next = out.NextToken;
			pages += 1;
		} while (next);
		expect(pages).toBe(3);
		expect(new Set(seen).size).toBe(5);
	});
});
