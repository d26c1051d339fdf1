import { beforeAll, describe, expect, it } from "vitest";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput, uniqueToken } from "../helpers/fixtures";
import { d1Count, objectRows } from "../helpers/storage";
import { call, type Reply, usageText } from "../helpers/wire";

/**
 * SPEC §11: strings that are not well-formed UTF-16 are refused wherever they
 * appear, before any state is touched; and every well-formed name — NFC and NFD
 * spellings, emoji, NUL, 256 characters — is its own usage key, counted exactly.
 */

const V = "ValidationException";
const BAD_UTF16 = "be well-formed UTF-16 (no unpaired surrogates)";

function badValue(path: string, shown: string): string {
	return `1 validation error detected: Value '${shown}' at '${path}' failed to satisfy constraint: Member must ${BAD_UTF16}`;
}

function badName(where: string, shown: string): string {
	return `1 validation error detected: Member name '${shown}' in ${where} failed to satisfy constraint: Member names must ${BAD_UTF16}`;
}

/**
 * `call`, with every string of the parsed body made well-formed: a lone surrogate
 * in a failing assertion's diff would break the test runner's own reporting.
 */
async function send(op: string, body: unknown): Promise<Reply> {
	const res = await call(op, body);
	const json = JSON.parse(JSON.stringify(res.json), (_k, v: unknown) =>
		typeof v === "string" ? v.toWellFormed() : v,
	) as Record<string, unknown>;
	return { ...res, json, text: res.text.toWellFormed() };
}

const issuedLicenses = () =>
	d1Count("SELECT COUNT(*) AS n FROM licenses WHERE issuer_account = ?", "111122223333");

describe("names that are not well-formed UTF-16", () => {
	// The three: a lone high, a lone low, and a low before a high (a reversed pair).
	const names: [string, string][] = [
		["seats\ud800", "seats\ufffd"],
		["\udc00", "\ufffd"],
		["\ude00\ud83d", "\ufffd\ufffd"],
	];

	for (const [name, shown] of names) {
		it(`refuses CreateLicense with entitlement ${JSON.stringify(name)}, and stores no license`, async () => {
			const before = await issuedLicenses();
			const res = await send(
				"CreateLicense",
				licenseInput({ Entitlements: [{ Name: name, Unit: "Count", MaxCount: 2 }] }),
			);
			expectAwsError(res, V, badValue("entitlements.1.member.name", shown));
			expect(await issuedLicenses()).toBe(before);
		});
	}

	it("refuses the same name in a checkout, and the license's usage is unchanged", async () => {
		const arn = await createLicense();
		const before = await usageText(arn);
		for (const [name, shown] of names) {
			const res = await send(
				"CheckoutBorrowLicense",
				checkoutBody(arn, { Entitlements: [{ Name: name, Unit: "Count", Value: "1" }] }),
			);
			expectAwsError(res, V, badValue("entitlements.1.member.name", shown));
		}
		expect(await usageText(arn)).toBe(before);
		expect(await objectRows(arn, "SELECT * FROM borrows")).toEqual([]);
	});

	it("finds one at the bottom of 100,000 nested lists, and clips the path it names", async () => {
		const depth = 100_000;
		const body = `{"LicenseArn":${"[".repeat(depth)}"\\ud800"${"]".repeat(depth)}}`;
		const path = `licenseArn${".1.member".repeat(depth)}`;
		expectAwsError(
			await send("GetLicense", body),
			V,
			badValue(`${path.slice(0, 256)}...`, "\ufffd"),
		);
	});

	it("echoes a clipped, well-formed rendering of a long bad value", async () => {
		// A surrogate pair straddles the 128-character cut: the echo must not split it either.
		const long = `${"x".repeat(127)}\ud83d\ude00${"y".repeat(5000)}\ud800`;
		const res = await send("GetLicense", { LicenseArn: long });
		const message = expectAwsError(res, V, badValue("licenseArn", `${"x".repeat(127)}\ufffd...`));
		expect(message.isWellFormed()).toBe(true);
	});
});

describe("every echo is clipped and well-formed", () => {
	// 63 characters, then an emoji (a surrogate pair) across the old 64-unit cut.
	const long = `${"m".repeat(63)}😀${"z".repeat(3000)}`;
	const shown = `'${"m".repeat(63)}😀${"z".repeat(63)}...'`;

	it("an unsupported DigitalSignatureMethod", async () => {
		const arn = await createLicense();
		const res = await send(
			"CheckoutBorrowLicense",
			checkoutBody(arn, { DigitalSignatureMethod: long }),
		);
		const message = expectAwsError(
			res,
			"UnsupportedDigitalSignatureMethodException",
			`Digital signature method ${shown} is not supported; use JWT_PS384.`,
		);
		expect(message.isWellFormed()).toBe(true);
	});

	it("an unsupported filter name", async () => {
		const res = await send("ListLicenses", { Filters: [{ Name: long, Values: [] }] });
		const message = expectAwsError(
			res,
			V,
			`1 validation error detected: Filter name ${shown} is not supported; use one of Beneficiary, ProductSKU, Fingerprint, Status`,
		);
		expect(message.isWellFormed()).toBe(true);
	});
});

describe("refused wherever they appear, in one place, for every operation", () => {
	let arn = "";
	let token = "";
	beforeAll(async () => {
		arn = await createLicense();
		token = expectOk(await send("CheckoutBorrowLicense", checkoutBody(arn)))
			.LicenseConsumptionToken as string;
	});

	const cases: [op: string, body: () => Record<string, unknown>, message: string][] = [
		[
			"CheckoutBorrowLicense",
			() => checkoutBody(arn, { CheckoutMetadata: [{ Name: "host", Value: "h\udfff" }] }),
			badValue("checkoutMetadata.1.member.value", "h\ufffd"),
		],
		[
			"CheckoutBorrowLicense",
			() => checkoutBody(arn, { NodeId: "\ud800node" }),
			badValue("nodeId", "\ufffdnode"),
		],
		[
			"CheckInLicense",
			() => ({ LicenseConsumptionToken: token, "Extra\udbff": true }),
			badName("the request", "Extra\ufffd"),
		],
		[
			"ExtendLicenseConsumption",
			() => ({ LicenseConsumptionToken: token, Unknown: { Deep: [[{ "k\udc00": 1 }]] } }),
			badName("'unknown.deep.1.member.1.member'", "k\ufffd"),
		],
		["GetLicense", () => ({ LicenseArn: arn, Version: "\ud800" }), badValue("version", "\ufffd")],
		[
			"GetLicenseUsage",
			() => ({ LicenseArn: arn, Ignored: ["ok", "x\udc00"] }),
			badValue("ignored.2.member", "x\ufffd"),
		],
		[
			"ListLicenses",
			() => ({ Filters: [{ Name: "ProductSKU", Values: ["SKU\ud800"] }] }),
			badValue("filters.1.member.values.1.member", "SKU\ufffd"),
		],
		[
			"ListLicenseVersions",
			() => ({ LicenseArn: arn, NextToken: "a\udc00b" }),
			badValue("nextToken", "a\ufffdb"),
		],
		[
			"CreateLicenseVersion",
			() => {
				const { ClientToken: _c, ProductSKU: _p, Beneficiary: _b, ...body } = licenseInput();
				return {
					...body,
					LicenseArn: arn,
					Status: "AVAILABLE",
					ClientToken: uniqueToken("v"),
					LicenseMetadata: [{ Name: "k", Value: "\udc00" }],
				};
			},
			badValue("licenseMetadata.1.member.value", "\ufffd"),
		],
		[
			"DeleteLicense",
			() => ({ LicenseArn: arn, SourceVersion: "1", "\ud800": "" }),
			badName("the request", "\ufffd"),
		],
		[
			"CreateLicense",
			() => ({ ...licenseInput({ Issuer: { Name: "Issuer\ud800" } }) }),
			badValue("issuer.name", "Issuer\ufffd"),
		],
	];

	for (const [op, body, message] of cases) {
		it(`${op}: ${message.slice(message.indexOf("'"), message.indexOf(" failed"))}`, async () => {
			const license = await send("GetLicense", { LicenseArn: arn });
			const versions = await send("ListLicenseVersions", { LicenseArn: arn });
			const usage = await usageText(arn);
			const borrows = await objectRows(arn, "SELECT * FROM borrows");
			expectAwsError(await send(op, body()), V, message);
			expect((await send("GetLicense", { LicenseArn: arn })).text).toBe(license.text);
			expect((await send("ListLicenseVersions", { LicenseArn: arn })).text).toBe(versions.text);
			expect(await usageText(arn)).toBe(usage);
			expect(await objectRows(arn, "SELECT * FROM borrows")).toEqual(borrows);
		});
	}

	it("accepts well-formed pairs, escaped or not", async () => {
		const res = await send(
			"CheckoutBorrowLicense",
			// "\ud83d\ude00" as JSON escapes: a valid pair, the same string as the literal emoji.
			JSON.stringify(checkoutBody(arn, { NodeId: "😀" })).replace("😀", "\\ud83d\\ude00"),
		);
		expect(expectOk(res).NodeId).toBe("😀");
	});
});

describe("usage keys round-trip exactly", () => {
	// Distinct names that a careless store could merge: NFC and NFD spellings of
	// one word, an emoji, names differing only after a NUL, 256 characters.
	const names = [
		"caf\u00e9",
		"cafe\u0301",
		"🎉",
		"a\u0000b",
		"a\u0000c",
		"a",
		"x".repeat(256),
		`${"x".repeat(255)}y`,
	];

	it("fills each to its MaxCount, refuses the next, and reports each exactly", async () => {
		const arn = await createLicense({
			Entitlements: names.map((Name, i) => ({ Name, Unit: "Count", MaxCount: i + 1 })),
		});
		for (const [i, name] of names.entries()) {
			const one = { Entitlements: [{ Name: name, Unit: "Count", Value: "1" }] };
			for (let n = 0; n <= i; n++)
				expectOk(await send("CheckoutBorrowLicense", checkoutBody(arn, one)));
			expectAwsError(
				await send("CheckoutBorrowLicense", checkoutBody(arn, one)),
				"NoEntitlementsAllowedException",
				`Entitlement '${name}' has 0 of ${i + 1} Count available; 1 requested. Partial checkouts are not supported: nothing was reserved.`,
			);
		}
		const usage = JSON.parse(await usageText(arn)) as {
			LicenseUsage: { EntitlementUsages: { Name: string; ConsumedValue: string }[] };
		};
		expect(usage.LicenseUsage.EntitlementUsages.map((u) => [u.Name, u.ConsumedValue])).toEqual(
			names.map((name, i) => [name, String(i + 1)]),
		);
		const rows = await objectRows(arn, "SELECT name, consumed FROM usage ORDER BY consumed");
		expect(rows).toEqual(names.map((name, i) => ({ name, consumed: i + 1 })));
	});
});
