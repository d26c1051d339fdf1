import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import {
	type CreateLicenseCommandInput,
	CreateLicenseVersionCommand,
	type Entitlement,
	ResourceLimitExceededException,
} from "@aws-sdk/client-license-manager";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { advanceClockForTests, setClockOffsetForTests } from "../../src/clock";
import { DEFAULT_LIMITS } from "../../src/config";
import { jsonLength, utf8Length } from "../../src/encoding";
import { SCHEMA_STEPS } from "../../src/license/storage";
import { expectAlarmRan, expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, licenseInput, uniqueToken } from "../helpers/fixtures";
import { freshPrincipal, putPrincipal, type TestPrincipal } from "../helpers/principals";
import { sdkClient } from "../helpers/sdk";
import { licenseCount, objectRows, stubOf } from "../helpers/storage";
import { callWithVars, setObjectVars } from "../helpers/vars";
import { call, type Reply, usage } from "../helpers/wire";

/**
 * SPEC §11 limits on storage every tenant shares. Lowered limits come from config
 * vars: a Worker env object with other vars (callWithVars) for what the Worker
 * decides, the object's env swapped (setObjectVars) for what the object decides.
 */

const MINUTE = 60_000;
const LIMIT = "ResourceLimitExceededException";

// Alarms scheduled here stay in the real future, so only the test runs them.
beforeEach(() => setClockOffsetForTests(10 * MINUTE));
afterEach(() => {
	vi.restoreAllMocks();
});

/** A principal in an account of its own: its license count starts at zero. */
async function freshAccount(label: string): Promise<TestPrincipal> {
	const account = `9${String(Math.floor(Math.random() * 1e11)).padStart(11, "0")}`;
	const principal = freshPrincipal(account, label);
	await putPrincipal(principal);
	return principal;
}

/** `n` metadata entries whose values are `size` copies of `char`. */
function metadata(n: number, size: number, char = "x") {
	return Array.from({ length: n }, (_, i) => ({ Name: `m${i}`, Value: char.repeat(size) }));
}

/** `n` None-unit entitlements of ~1 KB each, to make a document large. */
function flags(n: number): Entitlement[] {
	return Array.from({ length: n }, (_, i) => ({
		Name: `flag${i}`,
		Unit: "None",
		Value: "v".repeat(1000),
	}));
}

/** CreateLicenseVersion body repeating the license input `input` with members replaced. */
function versionBody(
	arn: string,
	input: CreateLicenseCommandInput,
	overrides: Record<string, unknown> = {},
) {
	const { ClientToken: _c, ProductSKU: _p, Beneficiary: _b, ...body } = input;
	return {
		...body,
		LicenseArn: arn,
		Status: "AVAILABLE",
		ClientToken: uniqueToken("v"),
		...overrides,
	};
}

async function versionsOf(arn: string): Promise<string[]> {
	const res = expectOk(await call("ListLicenseVersions", { LicenseArn: arn }));
	return (res.Licenses as { Version: string }[]).map((l) => l.Version);
}

describe("licenses per issuer account", () => {
	it("refuses the one past the limit, naming it, creates nothing, and still answers retries", async () => {
		const seller = await freshAccount("lim");
		const vars = { MAX_LICENSES_PER_ACCOUNT: "3" };
		const inputs = Array.from({ length: 3 }, () => licenseInput());
		const created: Reply[] = [];
		for (const input of inputs)
			created.push(await callWithVars(vars, "CreateLicense", input, seller));
		for (const res of created) expectOk(res);

		const before = await licenseCount();
		const over = licenseInput();
		const refused = await callWithVars(vars, "CreateLicense", over, seller);
		expectAwsError(
			refused,
			LIMIT,
			"Limit exceeded: at most 3 licenses per issuer account. Delete licenses that are no longer needed before creating more.",
		);
		expect(await licenseCount()).toBe(before);

		// A retry of a license that exists answers as before, byte for byte, at the limit.
		const retry = await callWithVars(vars, "CreateLicense", inputs[1], seller);
		expect(retry.status).toBe(200);
		expect(retry.text).toBe(created[1]?.text);
		// Same ClientToken, different request: still the idempotency error, not the limit.
		expectAwsError(
			await callWithVars(vars, "CreateLicense", { ...inputs[1], LicenseName: "other" }, seller),
			"ValidationException",
			/ClientToken was already used/,
		);

		// Deleted licenses do not count: deleting one makes room for exactly one more.
		const arn0 = created[0]?.json.LicenseArn as string;
		expectOk(
			await callWithVars(vars, "DeleteLicense", { LicenseArn: arn0, SourceVersion: "1" }, seller),
		);
		expectOk(await callWithVars(vars, "CreateLicense", over, seller));
		expectAwsError(await callWithVars(vars, "CreateLicense", licenseInput(), seller), LIMIT);
		// Another account is not affected.
		expectOk(await callWithVars(vars, "CreateLicense", licenseInput(), await freshAccount("lim")));
	});
});

describe("versions per license", () => {
	it("refuses the version past the limit, changing nothing; a retry is still answered", async () => {
		const input = licenseInput();
		const arn = expectOk(await call("CreateLicense", input)).LicenseArn as string;
		await setObjectVars(arn, { MAX_VERSIONS_PER_LICENSE: "3" });
		const v2 = versionBody(arn, input);
		const v2Reply = await call("CreateLicenseVersion", v2);
		expect(expectOk(v2Reply).Version).toBe("2");
		expectOk(await call("CreateLicenseVersion", versionBody(arn, input)));

		const license = (await call("GetLicense", { LicenseArn: arn })).text;
		expectAwsError(
			await call("CreateLicenseVersion", versionBody(arn, input, { LicenseName: "v4" })),
			LIMIT,
			"Limit exceeded: at most 3 versions per license. Create a new license instead of another version.",
		);
		// The AWS SDK knows the shape: it throws its own ResourceLimitExceededException.
		const sdkError = await sdkClient()
			.send(new CreateLicenseVersionCommand({ ...versionBody(arn, input), Status: "AVAILABLE" }))
			.then(
				() => null,
				(e: unknown) => e,
			);
		expect(sdkError).toBeInstanceOf(ResourceLimitExceededException);
		expect((sdkError as Error).message).toMatch(/at most 3 versions per license/);
		expect(await versionsOf(arn)).toEqual(["1", "2", "3"]);
		expect((await call("GetLicense", { LicenseArn: arn })).text).toBe(license);

		const retry = await call("CreateLicenseVersion", v2);
		expect(retry.status).toBe(200);
		expect(retry.text).toBe(v2Reply.text);
	});
});

describe("license document size", () => {
	it("refuses a CreateLicense whose document is over 64 KiB by default, storing nothing", async () => {
		// 50 × 2000 bytes of metadata: ~100 KB, a valid request under 256 KiB.
		const input = licenseInput({ LicenseMetadata: metadata(50, 1000, "é") });
		const body = JSON.stringify(input);
		expect(utf8Length(body)).toBeLessThan(256 * 1024);
		const before = await licenseCount();
		const res = await call("CreateLicense", input);
		const message = expectAwsError(res, "ValidationException");
		expect(message).toMatch(
			new RegExp(
				`^1 validation error detected: The license document is \\d+ bytes serialised; it must be at most ${DEFAULT_LIMITS.licenseDocumentBytes} bytes`,
			),
		);
		expect(await licenseCount()).toBe(before);
	});

	it("measures the document as stored, in UTF-8 bytes: at the limit passes, one byte over fails", async () => {
		const shape = (value: string) =>
			licenseInput({ LicenseMetadata: [{ Name: "note", Value: value }] });
		const first = shape("ü".repeat(500));
		const arn = expectOk(await call("CreateLicense", first)).LicenseArn as string;
		const stored = (await call("GetLicense", { LicenseArn: arn })).json.License;
		const size = jsonLength(stored);
		expect(size).toBeGreaterThan(1000); // the ü count twice

		const atLimit = { MAX_LICENSE_DOCUMENT_BYTES: String(size) };
		// Same lengths (ARN, CreateTime and all), so the same size: accepted.
		expectOk(await callWithVars(atLimit, "CreateLicense", shape("ö".repeat(500))));
		// One ASCII character more than that.
		const before = await licenseCount();
		expectAwsError(
			await callWithVars(atLimit, "CreateLicense", shape(`${"ö".repeat(500)}x`)),
			"ValidationException",
			new RegExp(`document is ${size + 1} bytes serialised; it must be at most ${size} bytes`),
		);
		expect(await licenseCount()).toBe(before);

		// A version is measured by the object, on the document it would store.
		await setObjectVars(arn, atLimit);
		expect(expectOk(await call("CreateLicenseVersion", versionBody(arn, first))).Version).toBe("2");
		const license = (await call("GetLicense", { LicenseArn: arn })).text;
		expectAwsError(
			await call(
				"CreateLicenseVersion",
				versionBody(arn, first, {
					LicenseMetadata: [{ Name: "note", Value: `${"ü".repeat(500)}x` }],
				}),
			),
			"ValidationException",
			new RegExp(`document is ${size + 1} bytes serialised; it must be at most ${size} bytes`),
		);
		expect(await versionsOf(arn)).toEqual(["1", "2"]);
		expect((await call("GetLicense", { LicenseArn: arn })).text).toBe(license);
	});

	it("refuses a CreateLicenseVersion over 64 KiB by default", async () => {
		const input = licenseInput();
		const arn = expectOk(await call("CreateLicense", input)).LicenseArn as string;
		expectAwsError(
			await call(
				"CreateLicenseVersion",
				versionBody(arn, input, {
					LicenseMetadata: metadata(50, 1024),
					Entitlements: [...(input.Entitlements ?? []), ...flags(15)],
				}),
			),
			"ValidationException",
			/^1 validation error detected: The license document is \d+ bytes serialised; it must be at most 65536 bytes/,
		);
		expect(await versionsOf(arn)).toEqual(["1"]);
	});
});

describe("NodeId + CheckoutMetadata size", () => {
	/** NodeId and metadata serialised to exactly `bytes` (8 KiB by default). */
	function sized(bytes: number) {
		const NodeId = "node-1";
		const CheckoutMetadata = metadata(8, 1000);
		const last = CheckoutMetadata[7] as { Name: string; Value: string };
		last.Value = "";
		last.Value = "y".repeat(bytes - jsonLength({ NodeId, CheckoutMetadata }));
		expect(jsonLength({ NodeId, CheckoutMetadata })).toBe(bytes);
		return { NodeId, CheckoutMetadata };
	}

	it("accepts exactly 8 KiB, refuses one byte more, counting bytes, not characters", async () => {
		const arn = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
		const limit = DEFAULT_LIMITS.checkoutMetadataBytes;
		expect(limit).toBe(8192);
		const ok = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn, sized(limit))));
		expect(ok.CheckoutMetadata).toEqual(sized(limit).CheckoutMetadata);

		const before = await usage(arn);
		expectAwsError(
			await call("CheckoutBorrowLicense", checkoutBody(arn, sized(limit + 1))),
			"ValidationException",
			`1 validation error detected: NodeId and CheckoutMetadata are ${limit + 1} bytes serialised; together they must be at most ${limit} bytes`,
		);
		// 8 × 600 characters, each two bytes in UTF-8: under 8192 characters, over 8192 bytes.
		const wide = metadata(8, 600, "é");
		expectAwsError(
			await call("CheckoutBorrowLicense", checkoutBody(arn, { CheckoutMetadata: wide })),
			"ValidationException",
			/NodeId and CheckoutMetadata are \d+ bytes serialised/,
		);
		expect(await usage(arn)).toEqual(before);
		expect(await usage(arn)).toEqual({ Seats: "1", Hours: "0", Tier: "0" });
	});

	it("follows MAX_CHECKOUT_METADATA_BYTES", async () => {
		const arn = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
		const vars = { MAX_CHECKOUT_METADATA_BYTES: "100" };
		expectOk(
			await callWithVars(
				vars,
				"CheckoutBorrowLicense",
				checkoutBody(arn, { NodeId: "n".repeat(80) }),
			),
		);
		expectAwsError(
			await callWithVars(
				vars,
				"CheckoutBorrowLicense",
				checkoutBody(arn, { NodeId: "n".repeat(90) }),
			),
			"ValidationException",
			/are 103 bytes serialised; together they must be at most 100 bytes/,
		);
	});
});

describe("live borrows per license", () => {
	it("a concurrent burst gets exactly the limit, borrows being signed counted; room comes back", async () => {
		const arn = expectOk(
			await call(
				"CreateLicense",
				licenseInput({ Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 1000 }] }),
			),
		).LicenseArn as string;
		await setObjectVars(arn, { MAX_LIVE_BORROWS_PER_LICENSE: "5" });

		// workerd's WebCrypto finishes synchronously: as in concurrency.test.ts, each
		// RSA signature first makes one D1 round trip (real I/O), so the object decides
		// the other checkouts while the Workers still sign the first ones.
		let signatures = 0;
		const sign = crypto.subtle.sign.bind(crypto.subtle);
		vi.spyOn(crypto.subtle, "sign").mockImplementation(async (algorithm, key, data) => {
			if ((typeof algorithm === "string" ? algorithm : algorithm.name) === "RSA-PSS") {
				signatures++;
				await env.DB.prepare("SELECT 1").first();
			}
			return sign(algorithm, key, data);
		});
		const bodies = Array.from({ length: 20 }, () => checkoutBody(arn));
		const replies = await Promise.all(bodies.map((b) => call("CheckoutBorrowLicense", b)));
		vi.restoreAllMocks();
		// A refusal costs no signature.
		expect(signatures).toBe(5);
		const granted = replies.filter((r) => r.status === 200);
		const refused = replies.filter((r) => r.status !== 200);
		expect(granted).toHaveLength(5);
		expect(refused).toHaveLength(15);
		for (const r of refused) {
			expectAwsError(
				r,
				LIMIT,
				"Limit exceeded: at most 5 live borrows per license. Check in or wait for borrows to expire, then check out again.",
			);
		}
		expect(await usage(arn)).toEqual({ Seats: "5" });
		expect(await objectRows(arn, "SELECT COUNT(*) AS n FROM borrows")).toEqual([{ n: 5 }]);

		// A replay of a granted checkout is still answered at the limit, byte for byte.
		const firstIndex = replies.findIndex((r) => r.status === 200);
		const replay = await call("CheckoutBorrowLicense", bodies[firstIndex]);
		expect(replay.text).toBe(replies[firstIndex]?.text);

		// A check-in makes room for one.
		expectOk(
			await call("CheckInLicense", {
				LicenseConsumptionToken: granted[0]?.json.LicenseConsumptionToken,
			}),
		);
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		expectAwsError(await call("CheckoutBorrowLicense", checkoutBody(arn)), LIMIT);

		// Borrows past their expiration count no more, even before their alarm has run.
		advanceClockForTests(61 * MINUTE);
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		expect(await usage(arn)).toEqual({ Seats: "1" });
		await expectAlarmRan(arn);
		expect(await objectRows(arn, "SELECT value FROM counters WHERE name = 'live_borrows'")).toEqual(
			[{ value: 1 }],
		);
	});
	it("an object from before the live-borrow counter seeds it from its borrows when it starts", async () => {
		const arn = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
		const tokens: string[] = [];
		for (let i = 0; i < 3; i++) {
			tokens.push(
				expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)))
					.LicenseConsumptionToken as string,
			);
		}
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: tokens[0] }));
		const liveCounter = "SELECT value FROM counters WHERE name = 'live_borrows'";
		expect(await objectRows(arn, liveCounter)).toEqual([{ value: 2 }]);

		// Storage as an older version left it: no counter row. Step 1 (which such an
		// object runs when it first starts under versioned schemas) seeds it. Later
		// steps are not re-run here: their ALTERs exist only on objects that ran them.
		await objectRows(arn, "DELETE FROM counters WHERE name = 'live_borrows'");
		await runInDurableObject(stubOf(arn), (_instance, state) => {
			for (const statement of SCHEMA_STEPS[0] ?? []) state.storage.sql.exec(statement);
		});
		await evictDurableObject(stubOf(arn));
		expect(await usage(arn)).toEqual({ Seats: "2", Hours: "0", Tier: "0" });
		expect(await objectRows(arn, liveCounter)).toEqual([{ value: 2 }]);
		await setObjectVars(arn, { MAX_LIVE_BORROWS_PER_LICENSE: "3" });
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		expectAwsError(await call("CheckoutBorrowLicense", checkoutBody(arn)), LIMIT);
	});
});

describe("list responses", () => {
	/** Entitlements that make a license document about `kib` KiB. */
	function bulk(kib: number): Entitlement[] {
		return [
			{ Name: "Seats", Unit: "Count", MaxCount: 7 },
			...flags(Math.floor((kib * 1024 - 1000) / 1045)),
		];
	}

	it("ListLicenseVersions of ~60 KiB versions, MaxResults 100: pages within 1 MiB, every version once", async () => {
		const input = licenseInput({ Entitlements: bulk(60) });
		const arn = expectOk(await call("CreateLicense", input)).LicenseArn as string;
		const docBytes = jsonLength((await call("GetLicense", { LicenseArn: arn })).json.License);
		expect(docBytes).toBeGreaterThan(58 * 1024);
		expect(docBytes).toBeLessThanOrEqual(64 * 1024);
		for (let v = 2; v <= 25; v++)
			expectOk(await call("CreateLicenseVersion", versionBody(arn, input)));

		const seen: string[] = [];
		let nextToken: string | undefined;
		let pages = 0;
		do {
			const res = await call("ListLicenseVersions", {
				LicenseArn: arn,
				MaxResults: 100,
				...(nextToken ? { NextToken: nextToken } : {}),
			});
			const out = expectOk(res);
			expect(utf8Length(res.text)).toBeLessThanOrEqual(DEFAULT_LIMITS.listResponseBytes);
			const page = out.Licenses as { Version: string }[];
			expect(page.length).toBeGreaterThan(0);
			seen.push(...page.map((l) => l.Version));
			nextToken = out.NextToken as string | undefined;
			if (pages === 0) {
				// The first page ended early, short of MaxResults, with a NextToken, and
				// held what fits: (1 MiB - 8 KiB envelope allowance) / ~60 KiB.
				expect(page.length).toBe(Math.floor((1024 * 1024 - 8192 + 1) / (docBytes + 2)));
				expect(nextToken).toEqual(expect.any(String));
			}
			pages++;
		} while (nextToken && pages < 10);
		expect(pages).toBe(2);
		expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
	});

	it("ListLicenses follows MAX_LIST_RESPONSE_BYTES; an item larger than the budget still comes, one a page", async () => {
		const sku = `SKU-BIG-${uniqueToken()}`;
		const created: string[] = [];
		for (let i = 0; i < 9; i++) {
			const input = licenseInput({ ProductSKU: sku, Entitlements: bulk(6) });
			created.push(expectOk(await call("CreateLicense", input)).LicenseArn as string);
		}
		const docBytes = jsonLength(
			(await call("GetLicense", { LicenseArn: created[0] })).json.License,
		);
		expect(docBytes).toBeGreaterThan(4 * 1024);
		const pageThrough = async (maxBytes: number) => {
			const vars = { MAX_LIST_RESPONSE_BYTES: String(maxBytes) };
			const seen: string[] = [];
			const sizes: number[] = [];
			let nextToken: string | undefined;
			do {
				const res = await callWithVars(vars, "ListLicenses", {
					Filters: [{ Name: "ProductSKU", Values: [sku] }],
					MaxResults: 100,
					...(nextToken ? { NextToken: nextToken } : {}),
				});
				const out = expectOk(res);
				const page = (out.Licenses as { LicenseArn: string }[]).map((l) => l.LicenseArn);
				sizes.push(page.length);
				seen.push(...page);
				expect(utf8Length(res.text)).toBeLessThanOrEqual(maxBytes);
				nextToken = out.NextToken as string | undefined;
			} while (nextToken && sizes.length < 20);
			expect(seen).toHaveLength(9);
			expect(new Set(seen)).toEqual(new Set(created));
			return sizes;
		};
		// Room for 4 documents (and 3 commas) besides the 8 KiB envelope allowance.
		expect(await pageThrough(8192 + 4 * (docBytes + 1) - 1)).toEqual([4, 4, 1]);
		// Room for none: each page still carries one, so paging always progresses.
		expect(await pageThrough(8192 + 100)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
	});
});
