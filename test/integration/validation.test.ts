import type { CreateLicenseCommandInput } from "@aws-sdk/client-license-manager";
import { beforeAll, describe, expect, it } from "vitest";
import { expectAwsError, expectOk, expectRefusedCheckout } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput, uniqueToken } from "../helpers/fixtures";
import { call, usage, usageText } from "../helpers/wire";

/** SPEC §3: the seed's constraints on CheckoutBorrowLicense, quantities, CreateLicense/GetLicense basics. */

const ARN_PATTERN =
	"^arn:aws(-(cn|us-gov|iso-b|iso-c|iso-d))?:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}$";
const QUANTITY = "satisfy regular expression pattern: ^[1-9][0-9]{0,15}$";
const TOKEN_PATTERN = "satisfy regular expression pattern: [a-zA-Z0-9]*";
const NEVER_MINTED =
	"arn:aws:license-manager::111122223333:license:l-0123456789abcdef0123456789abcdef";
const V = "ValidationException";
const UNSUPPORTED = "UnsupportedDigitalSignatureMethodException";
const NOT_FOUND = "ResourceNotFoundException";

/** AWS's single-error message. `shown` is the value as AWS renders it (`'a-b'`, `null`, `7`). */
function one(path: string, shown: string, constraint: string): string {
	return `1 validation error detected: Value ${shown} at '${path}' failed to satisfy constraint: Member must ${constraint}`;
}

/** The same, whatever the shown value. */
function at(path: string, constraint: string): RegExp {
	const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
	const head = "^1 validation error detected: Value .* at";
	return new RegExp(
		`${head} '${esc(path)}' failed to satisfy constraint: Member must ${esc(constraint)}$`,
		"s",
	);
}

const min = (n: number) => `have length greater than or equal to ${n}`;
const max = (n: number) => `have length less than or equal to ${n}`;
const ent = (Name: string, Unit: string, Value?: unknown) =>
	Value === undefined ? { Name, Unit } : { Name, Unit, Value };
const many = (n: number, make: (i: number) => unknown) =>
	Array.from({ length: n }, (_, i) => make(i));
const md = (Name: unknown, Value: unknown = "v") => ({ Name, Value });
const seats = (Value: unknown) => ({ Entitlements: [ent("Seats", "Count", Value)] });
const E1 = "entitlements.1.member";
const M1 = "checkoutMetadata.1.member";

type Case = [
	label: string,
	overrides: Record<string, unknown>,
	message: string | RegExp,
	type?: string,
];

const tok = (ClientToken: unknown) => ({ ClientToken });
const sig = (DigitalSignatureMethod: unknown) => ({ DigitalSignatureMethod });
const lic = (LicenseArn: unknown) => ({ LicenseArn });
const ents = (...Entitlements: unknown[]) => ({ Entitlements });
const node = (NodeId: unknown) => ({ NodeId });
const meta = (...CheckoutMetadata: unknown[]) => ({ CheckoutMetadata });
const STR = "be of type string";
const ARN_RULE = `satisfy regular expression pattern: ${ARN_PATTERN}`;
const BAD_QUANTITIES = [
	"0",
	"-1",
	"1.5",
	"1e3",
	" 7",
	"7 ",
	"+7",
	"07",
	"",
	"0x10",
	"12345678901234567",
	"99999999999999999999",
];
const NOT_PRINTABLE = ["a\u0000b", "tab\there", "line\n", "del\u007f", "c1\u0085"];

// biome-ignore format: one row per case reads best as a table
const CASES: Case[] = [
	["ClientToken missing", tok(undefined), one("clientToken", "null", "not be null")],
	["ClientToken empty", tok(""), one("clientToken", "''", min(1))],
	["ClientToken of 65 chars", tok("a".repeat(65)), at("clientToken", max(64))],
	["ClientToken a-b", tok("a-b"), "1 validation error detected: Value 'a-b' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]*"],
	["ClientToken with a space", tok("ab c"), at("clientToken", TOKEN_PATTERN)],
	["ClientToken a number", tok(12345), one("clientToken", "12345", STR)],
	["method missing", sig(undefined), one("digitalSignatureMethod", "null", "not be null")],
	["method a number", sig(384), at("digitalSignatureMethod", STR)],
	["method JWT_RS256", sig("JWT_RS256"), /'JWT_RS256'.*JWT_PS384/, UNSUPPORTED],
	["method in lower case", sig("jwt_ps384"), /'jwt_ps384'/, UNSUPPORTED],
	["shape before method", { ...sig("x"), ...tok("a-b") }, at("clientToken", TOKEN_PATTERN)],
	["LicenseArn missing", lic(undefined), one("licenseArn", "null", "not be null")],
	["LicenseArn not an ARN", lic("not-an-arn"), one("licenseArn", "'not-an-arn'", ARN_RULE)],
	["LicenseArn of no partition", lic("arn:aws-xx:s3:::b"), at("licenseArn", ARN_RULE)],
	["LicenseArn with a newline", lic(`${NEVER_MINTED}\n`), at("licenseArn", ARN_RULE)],
	["LicenseArn of 2049 chars", lic(`${NEVER_MINTED}${"a".repeat(2049 - 80)}`), at("licenseArn", max(2048))],
	["LicenseArn a list", lic([NEVER_MINTED]), at("licenseArn", STR)],
	["LicenseArn never minted (s3)", lic("arn:aws:s3:::bucket"), /arn:aws:s3:::bucket/, NOT_FOUND],
	["LicenseArn never minted (id)", lic(NEVER_MINTED), /does not exist/, NOT_FOUND],
	["Entitlements missing", { Entitlements: undefined }, one("entitlements", "null", "not be null")],
	["Entitlements empty", ents(), at("entitlements", min(1))],
	["Entitlements of 101", ents(...many(101, (i) => ent(`E${i}`, "Count"))), at("entitlements", max(100))],
	["Entitlements an object", { Entitlements: ent("Seats", "Count") }, at("entitlements", "be a list")],
	["Entitlement a string", ents("Seats"), one(E1, "'Seats'", "be a structure")],
	["Entitlement null", ents(null), one(E1, "null", "not be null")],
	["duplicate entitlement names", ents(ent("Seats", "Count", "1"), ent("Seats", "Count", "2")), "1 validation error detected: Duplicate entitlement name 'Seats' at 'entitlements'"],
	["Unit not in the enum", ents(ent("Seats", "Seat")), /at 'entitlements.1.member.unit'.*enum value set: \[Count, None, Seconds, /],
	["Unit in lower case", ents(ent("Seats", "count")), /^1 validation error detected: Value 'count' at 'entitlements.1.member.unit'/],
	["Unit missing", ents({ Name: "Seats" }), one(`${E1}.unit`, "null", "not be null")],
	["Name empty", ents(ent("", "Count")), one(`${E1}.name`, "''", min(1))],
	["Name of 257 chars", ents(ent("n".repeat(257), "Count")), at(`${E1}.name`, max(256))],
	...BAD_QUANTITIES.map((q): Case => [`quantity ${JSON.stringify(q)}`, seats(q), at(`${E1}.value`, QUANTITY)]),
	["quantity 2^53", seats("9007199254740992"), one(`${E1}.value`, "'9007199254740992'", "have value less than or equal to 9007199254740991")],
	["quantity a JSON number", seats(7), one(`${E1}.value`, "7", STR)],
	["quantity an object", seats({ n: 1 }), at(`${E1}.value`, STR)],
	["quantity 2^53-1: valid, over capacity", seats("9007199254740991"), /Partial checkouts are not supported/, "NoEntitlementsAllowedException"],
	["NodeId empty", node(""), one("nodeId", "''", min(1))],
	["NodeId of 257 chars", node("n".repeat(257)), at("nodeId", max(256))],
	["NodeId an array", node(["laptop"]), one("nodeId", "[laptop]", STR)],
	...NOT_PRINTABLE.map((id): Case => [`NodeId ${JSON.stringify(id)}`, node(id), at("nodeId", "satisfy regular expression pattern: printable characters")]),
	// Refused before any operation's own rules (SPEC §11), so named as such.
	["NodeId \"lone\\ud800\"", node("lone\ud800"), at("nodeId", "be well-formed UTF-16 (no unpaired surrogates)")],
	["51 metadata items", meta(...many(51, (i) => md(`m${i}`))), at("checkoutMetadata", max(50))],
	["duplicate metadata names", meta(md("user"), md("user", "w")), "1 validation error detected: Duplicate metadata name 'user' at 'checkoutMetadata'"],
	["metadata Name of 129", meta(md("k".repeat(129))), at(`${M1}.name`, max(128))],
	["metadata Name empty", meta(md("")), at(`${M1}.name`, min(1))],
	["metadata Value of 1025", meta(md("user", "v".repeat(1025))), at(`${M1}.value`, max(1024))],
	["metadata Value a number", meta(md("user", 5)), at(`${M1}.value`, STR)],
	["metadata an object", { CheckoutMetadata: { user: "ada" } }, at("checkoutMetadata", "be a list")],
];

describe("CheckoutBorrowLicense: the seed's constraints", () => {
	let arn: string;
	const refuse = (overrides: Record<string, unknown>, type: string, message?: string | RegExp) =>
		expectRefusedCheckout(arn, checkoutBody(arn, overrides), type, message);
	beforeAll(async () => {
		arn = await createLicense();
	});

	it.each(CASES)(
		"refuses %s, and changes nothing",
		async (_label, overrides, message, type = V) => {
			await refuse(overrides, type, message);
		},
	);

	it("refuses the license id under another account", async () => {
		await refuse(
			{ LicenseArn: arn.replace(/::\d{12}:/, "::444455556666:") },
			NOT_FOUND,
			/does not exist/,
		);
	});

	it("does not echo a huge unsupported DigitalSignatureMethod back", async () => {
		const text = await refuse({ DigitalSignatureMethod: `JWT_${"X".repeat(5000)}` }, UNSUPPORTED);
		expect(text.length).toBeLessThan(512);
	});

	it("reports every violation at once", async () => {
		const bad = {
			ClientToken: "a-b",
			Entitlements: [],
			NodeId: "",
			DigitalSignatureMethod: undefined,
		};
		const text = await refuse(bad, V, /^4 validation errors detected: /);
		for (const path of ["clientToken", "digitalSignatureMethod", "entitlements", "nodeId"]) {
			expect(text).toContain(`at '${path}'`);
		}
		expect(text.split("; ")).toHaveLength(4);
		await expectRefusedCheckout(arn, {}, V, /^4 validation errors detected: /);
	});

	it("accepts every boundary value", async () => {
		const node = `ü-${"n".repeat(254)}`;
		// 50 full-size entries (~57 KB) would pass the 8 KiB bound on NodeId + metadata
		// together (SPEC §11, limits.test.ts): each member's boundary is taken on its own.
		const fifty = many(50, (i) => md(String(i).padStart(128, "k"), ""));
		const longest = [md("k".repeat(128), "v".repeat(1024))];
		const proto = [md("__proto__", "p"), md("constructor", "c")];
		for (const overrides of [
			{ ClientToken: `Z9${"x".repeat(62)}` },
			{ NodeId: node },
			{ CheckoutMetadata: fifty },
			{ CheckoutMetadata: longest },
			{ CheckoutMetadata: proto },
		]) {
			const out = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn, overrides)));
			if ("NodeId" in overrides) expect(out.NodeId).toBe(node);
			if ("CheckoutMetadata" in overrides)
				expect(out.CheckoutMetadata).toEqual(overrides.CheckoutMetadata);
		}
	});
});

describe("CheckoutBorrowLicense: units and quantities", () => {
	const borrow = (arn: string, entitlements: unknown[]) =>
		call("CheckoutBorrowLicense", checkoutBody(arn, { Entitlements: entitlements }));
	const refuse = (arn: string, entitlements: unknown[], type: string, message: RegExp) =>
		expectRefusedCheckout(arn, checkoutBody(arn, { Entitlements: entitlements }), type, message);

	it("leases a Seconds entitlement like a count", async () => {
		const arn = await createLicense();
		const out = expectOk(await borrow(arn, [ent("Hours", "Seconds", "1800")]));
		expect(out.EntitlementsAllowed).toEqual([ent("Hours", "Seconds", "1800")]);
		expect((await usage(arn)).Hours).toBe("1800");
		const over = /'Hours' has 1800 of 3600 Seconds available; 1801 requested/;
		await refuse(arn, [ent("Hours", "Seconds", "1801")], "NoEntitlementsAllowedException", over);
		expectOk(await borrow(arn, [ent("Hours", "Seconds", "1800")]));
		expect((await usage(arn)).Hours).toBe("3600");
	});

	it("returns a None entitlement's license Value and ignores the requested one", async () => {
		const arn = await createLicense();
		for (const Value of ["abc", "0", undefined]) {
			const out = expectOk(await borrow(arn, [ent("Tier", "None", Value)]));
			expect(out.EntitlementsAllowed).toEqual([ent("Tier", "None", "Enterprise")]);
		}
		expect((await usage(arn)).Tier).toBe("0");
	});

	it("defaults a counted Value to 1", async () => {
		const arn = await createLicense();
		const out = expectOk(await borrow(arn, [ent("Seats", "Count")]));
		expect(out.EntitlementsAllowed).toEqual([ent("Seats", "Count", "1")]);
		expect((await usage(arn)).Seats).toBe("1");
	});

	it("refuses entitlements not on the license or in another unit, naming them; reserves nothing", async () => {
		const arn = await createLicense();
		const absent = [ent("Seats", "Count", "2"), ent("Cores", "Count", "1")];
		await refuse(arn, absent, "EntitlementNotAllowedException", /'Cores' is not on this license/);
		const unit = [ent("Hours", "Milliseconds", "1000")];
		await refuse(
			arn,
			unit,
			"EntitlementNotAllowedException",
			/'Hours' is measured in Seconds, not Milliseconds/,
		);
		const over = [ent("Seats", "Count", "1"), ent("Hours", "Seconds", "3601")];
		await refuse(arn, over, "NoEntitlementsAllowedException", /'Hours'.*nothing was reserved/);
	});

	it("with Overage, a borrow may exceed MaxCount and usage reports the true total", async () => {
		const arn = await createLicense({
			Entitlements: [
				{ Name: "Seats", Unit: "Count", MaxCount: 2, Overage: true },
				{ Name: "Bytes", Unit: "Bytes", Overage: true },
			],
		});
		expectOk(await borrow(arn, [ent("Seats", "Count", "5")]));
		expectOk(
			await borrow(arn, [ent("Seats", "Count", "3"), ent("Bytes", "Bytes", "9007199254740991")]),
		);
		expect(JSON.parse(await usageText(arn))).toEqual({
			LicenseUsage: {
				EntitlementUsages: [
					{ Name: "Seats", ConsumedValue: "8", MaxCount: "2", Unit: "Count" },
					{ Name: "Bytes", ConsumedValue: "9007199254740991", Unit: "Bytes" },
				],
			},
		});
	});

	it("with Overage, usage never reports a total rounded past 2^53-1", async () => {
		const arn = await createLicense({
			Entitlements: [{ Name: "Bytes", Unit: "Bytes", Overage: true }],
		});
		expectOk(await borrow(arn, [ent("Bytes", "Bytes", "9007199254740991")]));
		const res = await borrow(arn, [ent("Bytes", "Bytes", "2")]);
		// Either the total is exact, or the borrow that would make it inexact is refused.
		const total = (await usage(arn)).Bytes;
		expect(total).toBe(res.status === 200 ? "9007199254740993" : "9007199254740991");
	});
});

describe("CreateLicense and GetLicense", () => {
	const create = (overrides: Partial<CreateLicenseCommandInput>) =>
		call("CreateLicense", licenseInput(overrides));
	const TTL = "consumptionConfiguration.borrowConfiguration.maxTimeToLiveInMinutes";
	const ttl = (MaxTimeToLiveInMinutes: number) => ({
		ConsumptionConfiguration: {
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes },
		},
	});
	const begin = (Begin: string, End = "2099-01-01T00:00:00Z") => ({ Validity: { Begin, End } });
	const BAD_DATE = at("validity.begin", "be an ISO-8601 date-time");
	const NEEDS_MAX =
		"1 validation error detected: Entitlement 'Seats' is counted in Count: it needs MaxCount unless Overage is true";
	const ORDER = "1 validation error detected: Validity.End must be later than Validity.Begin";

	const counted = (extra: object) => ({
		Entitlements: [{ Name: "Seats", Unit: "Count" as const, ...extra }],
	});
	// biome-ignore format: one row per case reads best as a table
	it.each<[string, Partial<CreateLicenseCommandInput>, string | RegExp]>([
		["TTL 0", ttl(0), one(TTL, "0", "have value greater than or equal to 1")],
		["TTL 43201", ttl(43201), one(TTL, "43201", "have value less than or equal to 43200")],
		["TTL 1.5", ttl(1.5), one(TTL, "1.5", "be an integer")],
		["a counted entitlement without MaxCount", counted({}), NEEDS_MAX],
		["Overage false and no MaxCount", counted({ Overage: false }), NEEDS_MAX],
		["MaxCount -1", counted({ MaxCount: -1 }), /Value -1 at 'entitlements.1.member.maxCount' failed to satisfy constraint: Member must have value greater than or equal to 0/],
		["Begin 'yesterday'", begin("yesterday"), BAD_DATE],
		["Begin without a time", begin("2020-01-01"), BAD_DATE],
		["Begin in month 13", begin("2020-13-01T00:00:00Z"), BAD_DATE],
		["Begin at hour 25", begin("2020-01-01T25:00:00Z"), BAD_DATE],
		["End before Begin", begin("2030-01-01T00:00:00Z", "2029-12-31T23:59:59Z"), ORDER],
		["End equal to Begin", begin("2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z"), ORDER],
	])("refuses %s", async (_label, overrides, message) => {
		expectAwsError(await create(overrides), V, message);
	});

	it("accepts the bounds: TTL 43200, a None entitlement without MaxCount", async () => {
		expectOk(await create(ttl(43200)));
		expectOk(await create({ Entitlements: [{ Name: "Tier", Unit: "None", Value: "Gold" }] }));
	});

	it("rejects a calendar date that does not exist instead of rolling it over", async () => {
		expectAwsError(await create(begin("2021-02-30T00:00:00Z")), V, BAD_DATE);
	});

	it("is idempotent per ClientToken, and refuses the token with different parameters", async () => {
		const input = licenseInput();
		const first = expectOk(await call("CreateLicense", input));
		expect(first).toEqual({
			LicenseArn: expect.stringMatching(/:license:l-[0-9a-f]{32}$/),
			Status: "AVAILABLE",
			Version: "1",
		});
		expect(expectOk(await call("CreateLicense", input))).toEqual(first);
		const changed = await call("CreateLicense", { ...input, LicenseName: "Another name" });
		expectAwsError(
			changed,
			V,
			"ClientToken was already used to create a license with different parameters.",
		);
		const got = expectOk(await call("GetLicense", { LicenseArn: first.LicenseArn }));
		expect((got.License as { LicenseName: string }).LicenseName).toBe("Test license");
	});

	it("a retry with members in another order, or an unknown member, is the same request", async () => {
		const input: Record<string, unknown> = { ...licenseInput() };
		const first = expectOk(await call("CreateLicense", input));
		const reordered = Object.fromEntries(Object.entries(input).reverse());
		expect(expectOk(await call("CreateLicense", reordered))).toEqual(first);
		expect(expectOk(await call("CreateLicense", { ...input, Foo: "ignored" }))).toEqual(first);
	});

	it("a refused CreateLicense records nothing for its ClientToken", async () => {
		const ClientToken = uniqueToken("create");
		expectAwsError(await create({ ClientToken, ...ttl(0) }), V);
		expectOk(await create({ ClientToken, LicenseName: "Second try" }));
	});

	it("GetLicense validates its ARN and finds only minted licenses", async () => {
		expectAwsError(await call("GetLicense", {}), V, one("licenseArn", "null", "not be null"));
		const pattern = `satisfy regular expression pattern: ${ARN_PATTERN}`;
		expectAwsError(
			await call("GetLicense", { LicenseArn: "arn:nope" }),
			V,
			at("licenseArn", pattern),
		);
		expectAwsError(await call("GetLicense", { LicenseArn: "arn:aws:s3:::bucket" }), NOT_FOUND);
		const arn = await createLicense();
		const got = expectOk(await call("GetLicense", { LicenseArn: arn }));
		expect(got.License).toMatchObject({ LicenseArn: arn, Version: "1", Status: "AVAILABLE" });
		expectOk(await call("GetLicense", { LicenseArn: arn, Version: "1" }));
		const v2 = await call("GetLicense", { LicenseArn: arn, Version: "2" });
		expectAwsError(v2, NOT_FOUND, "License version 2 does not exist.");
	});
});
