import {
	CreateLicenseVersionCommand,
	DeleteLicenseCommand,
	type Filter,
	ListLicensesCommand,
	type ListLicensesCommandInput,
} from "@aws-sdk/client-license-manager";
import { describe, expect, it } from "vitest";
import { expectAwsError, expectSdkError } from "../helpers/expectations";
import { createLicense, uniqueToken } from "../helpers/fixtures";
import { sdkClient, versionInput } from "../helpers/sdk";
import { call } from "../helpers/wire";

const client = sdkClient();

const list = (input: ListLicensesCommandInput) => client.send(new ListLicensesCommand(input));

async function arnsOf(input: ListLicensesCommandInput): Promise<string[]> {
	const out = await list(input);
	expect(out.NextToken).toBeUndefined();
	return (out.Licenses ?? []).map((l) => l.LicenseArn as string).sort();
}

const fingerprint = (issuer: string) => `aws:111122223333:${issuer}:issuer-fingerprint`;

/** Flips one base64url character at `i` to another one. */
function flip(text: string, i: number): string {
	const c = text.charAt(i);
	return text.slice(0, i) + (c === "A" ? "B" : "A") + text.slice(i + 1);
}

describe("ListLicenses", () => {
	it("pages over 250 licenses with MaxResults 17: every license once, none twice", async () => {
		const sku = `SKU-PAGE-${uniqueToken()}`;
		const created: string[] = [];
		for (let chunk = 0; chunk < 10; chunk++) {
			created.push(
				...(await Promise.all(
					Array.from({ length: 25 }, () => createLicense({ ProductSKU: sku })),
				)),
			);
		}
		expect(new Set(created).size).toBe(250);

		const filters: Filter[] = [{ Name: "ProductSKU", Values: [sku] }];
		const seen: string[] = [];
		const tokens: string[] = [];
		let nextToken: string | undefined;
		let pages = 0;
		do {
			const page = await list({ Filters: filters, MaxResults: 17, NextToken: nextToken });
			const licenses = page.Licenses ?? [];
			expect(licenses.length).toBeLessThanOrEqual(17);
			for (const l of licenses) expect(l.ProductSKU).toBe(sku);
			seen.push(...licenses.map((l) => l.LicenseArn as string));
			nextToken = page.NextToken;
			if (nextToken) tokens.push(nextToken);
			pages++;
		} while (nextToken && pages < 100);
		expect(pages).toBe(Math.ceil(250 / 17));
		expect(seen).toHaveLength(250);
		expect(new Set(seen).size).toBe(250);
		expect([...seen].sort()).toEqual([...created].sort());

		// A tampered NextToken (one character flipped in either half) is refused.
		const token = tokens[0] as string;
		const [body, sig] = token.split(".") as [string, string];
		expect(sig).toBeTruthy();
		for (const tampered of [
			`${flip(body, 2)}.${sig}`,
			`${body}.${flip(sig, 2)}`,
			"garbage",
			`${token}.x`,
		]) {
			await expectSdkError(
				list({ Filters: filters, MaxResults: 17, NextToken: tampered }),
				"ValidationException",
				/NextToken/,
			);
		}
		// The genuine token still works, with the same query.
		expect(
			(await list({ Filters: filters, MaxResults: 17, NextToken: token })).Licenses,
		).toHaveLength(17);
		// A NextToken used with different filters (or none, or other ARNs) is refused.
		for (const other of [
			{ Filters: [{ Name: "ProductSKU", Values: ["SKU-OTHER"] }] },
			{ Filters: [...filters, { Name: "Status", Values: ["AVAILABLE"] }] },
			{},
			{ Filters: filters, LicenseArns: [created[0] as string] },
		]) {
			await expectSdkError(
				list({ ...other, MaxResults: 17, NextToken: token }),
				"ValidationException",
				/NextToken/,
			);
		}
		// MaxResults may change between pages; the query may not.
		expect(
			(await list({ Filters: filters, MaxResults: 5, NextToken: token })).Licenses,
		).toHaveLength(5);
	}, 60_000);

	it("filters by Beneficiary, ProductSKU, Fingerprint and Status; values OR, filters AND", async () => {
		const sku = `SKU-FILTER-${uniqueToken()}`;
		const issuerX = `Issuer X ${uniqueToken()}`;
		const issuerY = `Issuer Y ${uniqueToken()}`;
		const benA = `Beneficiary A ${uniqueToken()}`;
		const benB = `Beneficiary B ${uniqueToken()}`;
		const l1 = await createLicense({
			ProductSKU: sku,
			Beneficiary: benA,
			Issuer: { Name: issuerX },
		});
		const l2 = await createLicense({
			ProductSKU: sku,
			Beneficiary: benB,
			Issuer: { Name: issuerY },
		});
		const l3 = await createLicense({
			ProductSKU: sku,
			Beneficiary: benA,
			Issuer: { Name: issuerY },
		});
		const l4 = await createLicense({
			ProductSKU: sku,
			Beneficiary: benB,
			Issuer: { Name: issuerX },
		});
		const other = await createLicense({
			ProductSKU: `${sku}-other`,
			Beneficiary: benA,
			Issuer: { Name: issuerX },
		});
		await client.send(
			new CreateLicenseVersionCommand(await versionInput(l3, { Status: "DEACTIVATED" })),
		);
		await client.send(new DeleteLicenseCommand({ LicenseArn: l4, SourceVersion: "1" }));

		const skuF: Filter = { Name: "ProductSKU", Values: [sku] };
		expect(await arnsOf({ Filters: [skuF] })).toEqual([l1, l2, l3, l4].sort());
		expect(
			await arnsOf({ Filters: [{ Name: "ProductSKU", Values: [sku, `${sku}-other`] }] }),
		).toEqual([l1, l2, l3, l4, other].sort());
		expect(await arnsOf({ Filters: [{ Name: "Beneficiary", Values: [benA] }] })).toEqual(
			[l1, l3, other].sort(),
		);
		expect(await arnsOf({ Filters: [skuF, { Name: "Beneficiary", Values: [benA] }] })).toEqual(
			[l1, l3].sort(),
		);
		expect(
			await arnsOf({ Filters: [skuF, { Name: "Beneficiary", Values: [benA, benB] }] }),
		).toEqual([l1, l2, l3, l4].sort());
		expect(
			await arnsOf({ Filters: [{ Name: "Fingerprint", Values: [fingerprint(issuerY)] }] }),
		).toEqual([l2, l3].sort());
		expect(await arnsOf({ Filters: [skuF, { Name: "Status", Values: ["DEACTIVATED"] }] })).toEqual([
			l3,
		]);
		expect(await arnsOf({ Filters: [skuF, { Name: "Status", Values: ["DELETED"] }] })).toEqual([
			l4,
		]);
		expect(await arnsOf({ Filters: [skuF, { Name: "Status", Values: ["AVAILABLE"] }] })).toEqual(
			[l1, l2].sort(),
		);
		expect(
			await arnsOf({
				Filters: [
					skuF,
					{ Name: "Fingerprint", Values: [fingerprint(issuerX)] },
					{ Name: "Status", Values: ["AVAILABLE", "DELETED"] },
				],
			}),
		).toEqual([l1, l4].sort());
		expect(await arnsOf({ Filters: [skuF, { Name: "Beneficiary", Values: ["nobody"] }] })).toEqual(
			[],
		);

		// The listed license is the current version, with its status.
		const listed = (await list({ LicenseArns: [l3] })).Licenses?.[0];
		expect(listed).toMatchObject({
			LicenseArn: l3,
			Status: "DEACTIVATED",
			Version: "2",
			Beneficiary: benA,
			ProductSKU: sku,
		});

		// A new version's issuer changes the fingerprint it is found by.
		const issuerZ = `Issuer Z ${uniqueToken()}`;
		await client.send(
			new CreateLicenseVersionCommand(await versionInput(l1, { Issuer: { Name: issuerZ } })),
		);
		expect(
			await arnsOf({ Filters: [{ Name: "Fingerprint", Values: [fingerprint(issuerZ)] }] }),
		).toEqual([l1]);
		expect(
			await arnsOf({ Filters: [{ Name: "Fingerprint", Values: [fingerprint(issuerX)] }] }),
		).toEqual([l4, other].sort());
	});

	it("an unknown filter name → ValidationException", async () => {
		await expectSdkError(
			list({ Filters: [{ Name: "LicenseName", Values: ["x"] }] }),
			"ValidationException",
			/LicenseName/,
		);
		expectAwsError(
			await call("ListLicenses", {
				Filters: [
					{ Name: "ProductSKU", Values: ["x"] },
					{ Name: "Bogus", Values: ["y"] },
				],
			}),
			"ValidationException",
			/Bogus/,
		);
	});

	it("LicenseArns restricts the result", async () => {
		const sku = `SKU-ARNS-${uniqueToken()}`;
		const [a, b, c] = await Promise.all([
			createLicense({ ProductSKU: sku }),
			createLicense({ ProductSKU: sku }),
			createLicense({ ProductSKU: sku }),
		]);
		expect(await arnsOf({ LicenseArns: [a as string, c as string] })).toEqual([a, c].sort());
		expect(
			await arnsOf({
				LicenseArns: [b as string],
				Filters: [{ Name: "ProductSKU", Values: [sku] }],
			}),
		).toEqual([b]);
		expect(
			await arnsOf({
				LicenseArns: [b as string],
				Filters: [{ Name: "ProductSKU", Values: ["SKU-NONE"] }],
			}),
		).toEqual([]);
		const unknown =
			"arn:aws:license-manager::111122223333:license:l-00000000000000000000000000000000";
		expect(await arnsOf({ LicenseArns: [unknown, a as string] })).toEqual([a]);
		// Paged within the ARN list.
		const page = await list({
			LicenseArns: [a as string, b as string, c as string],
			MaxResults: 2,
		});
		expect(page.Licenses).toHaveLength(2);
		const rest = await list({
			LicenseArns: [a as string, b as string, c as string],
			MaxResults: 2,
			NextToken: page.NextToken,
		});
		expect(rest.Licenses).toHaveLength(1);
		expect(rest.NextToken).toBeUndefined();
		expect(
			[...(page.Licenses ?? []), ...(rest.Licenses ?? [])].map((l) => l.LicenseArn).sort(),
		).toEqual([a, b, c].sort());
	});

	it("the largest lists the validation allows (100 LicenseArns, 100 filter values) are answered, never a 500", async () => {
		const sku = `SKU-BIG-${uniqueToken()}`;
		const real = await Promise.all(
			Array.from({ length: 3 }, () => createLicense({ ProductSKU: sku })),
		);
		const unknown = Array.from(
			{ length: 97 },
			(_, i) =>
				`arn:aws:license-manager::111122223333:license:l-ff${i.toString(16).padStart(30, "0")}`,
		);
		const arns = [...unknown.slice(0, 50), ...real, ...unknown.slice(50)];
		expect(arns).toHaveLength(100);
		const res = await call("ListLicenses", { LicenseArns: arns });
		expect(res.status, res.text).toBe(200);
		expect(
			((res.json.Licenses ?? []) as { LicenseArn: string }[]).map((l) => l.LicenseArn).sort(),
		).toEqual([...real].sort());

		// Paged, with filters of 100 values each: the NextToken page binds more than the first.
		const skus = [sku, ...Array.from({ length: 99 }, (_, i) => `${sku}-none-${i}`)];
		const filters = [
			{ Name: "ProductSKU", Values: skus },
			{ Name: "Status", Values: ["AVAILABLE", "DEACTIVATED"] },
		];
		const seen: string[] = [];
		let nextToken: string | undefined;
		let pages = 0;
		do {
			const page = await call("ListLicenses", {
				LicenseArns: arns,
				Filters: filters,
				MaxResults: 1,
				...(nextToken ? { NextToken: nextToken } : {}),
			});
			expect(page.status, page.text).toBe(200);
			seen.push(
				...((page.json.Licenses ?? []) as { LicenseArn: string }[]).map((l) => l.LicenseArn),
			);
			nextToken = page.json.NextToken as string | undefined;
			pages++;
		} while (nextToken && pages < 10);
		expect(seen.sort()).toEqual([...real].sort());
	});

	it("MaxResults 0 and 101 → ValidationException; 1 and 100 are accepted", async () => {
		await expectSdkError(list({ MaxResults: 0 }), "ValidationException", /maxResults/);
		await expectSdkError(list({ MaxResults: 101 }), "ValidationException", /maxResults/);
		expectAwsError(
			await call("ListLicenses", { MaxResults: 0 }),
			"ValidationException",
			/maxResults/,
		);
		expectAwsError(
			await call("ListLicenses", { MaxResults: 101 }),
			"ValidationException",
			/maxResults/,
		);
		expect((await list({ MaxResults: 1 })).$metadata.httpStatusCode).toBe(200);
		expect((await list({ MaxResults: 100 })).$metadata.httpStatusCode).toBe(200);
	});
});
