import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { expectOk } from "../helpers/expectations";
import { fuzzExtensionOperations } from "../helpers/extensionFuzz";
import { checkoutBody, licenseInput } from "../helpers/fixtures";
import {
	badArn,
	emit,
	fuzzParameters,
	hostileJson,
	type Json,
	memberName,
	toJson,
	wholeBody,
} from "../helpers/fuzzRequests";
import { ISSUER, OTHER } from "../helpers/principals";
import { stubOf } from "../helpers/storage";
import { call } from "../helpers/wire";

/**
 * Property-based fuzz of the two D1-backed extension operations (SPEC §8): hostile,
 * correctly signed GetUsageHistory and ListAuditEvents requests. Every answer is a
 * 200 of the documented shape or a 400 AWS error whose body and header agree; never
 * a 5xx, and never a consumption token. Seeded like test/integration/fuzz.test.ts
 * (FUZZ_SEED / FUZZ_PATH replay a failure).
 */

const PARAMETERS = fuzzParameters(env, 600);

const OPERATIONS = ["GetUsageHistory", "ListAuditEvents"] as const;
type Op = (typeof OPERATIONS)[number];

interface Targets {
	license: string;
	controlArn: string;
	account: string;
	controlAccount: string;
	nextToken: string;
	tokens: string[];
}
let t: Targets;

const DATES = [
	"2032-03-01T12:00:00Z",
	"2032-03-01T12:00:00.5+05:30",
	"0000-01-01T00:00:00Z",
	"0000-01-01T00:00:00+23:59",
	"9999-12-31T23:59:59Z",
	"9999-12-31T23:59:59.999999999-23:59",
	"2032-02-29T00:00:00Z",
	"2031-02-29T00:00:00Z",
	"2032-03-01",
	"2032-03-01T24:00:00Z",
	"1970-01-01T00:00:00Z",
];

const date: fc.Arbitrary<Json> = fc.oneof(
	fc.constantFrom(...DATES).map(toJson),
	fc
		.date({
			min: new Date("0000-01-01T00:00:00Z"),
			max: new Date("9999-12-31T23:59:59Z"),
			noInvalidDate: true,
		})
		.map((d) => toJson(d.toISOString())),
	fc
		.integer({ min: -2_000, max: 2_000 })
		.map((h) => toJson(new Date(Date.now() + h * 3_600_000).toISOString())),
);

/** A member's value: mostly meaningful, often hostile. */
function member(valid: fc.Arbitrary<Json>): fc.Arbitrary<Json | undefined> {
	return fc.oneof(
		{ weight: 3, arbitrary: valid },
		{ weight: 2, arbitrary: hostileJson },
		{ weight: 1, arbitrary: fc.constant(undefined) },
	);
}

function bodyArbitrary(op: Op): fc.Arbitrary<string | Uint8Array> {
	const arn = fc.oneof(
		fc.constantFrom(t.license, t.controlArn).map(toJson),
		badArn({
			account: t.account,
			license: t.license,
			deletable: t.license,
			token: t.tokens[0] as string,
			controlArn: t.controlArn,
			controlToken: t.tokens[1] as string,
			controlAccount: t.controlAccount,
		}).map(toJson),
	);
	const members: Record<string, fc.Arbitrary<Json | undefined>> = op === "GetUsageHistory"
		? {
				LicenseArn: member(arn),
				Start: member(date),
				End: member(date),
				Granularity: member(fc.constantFrom("HOUR", "DAY", "hour", "MINUTE", "").map(toJson)),
			}
		: {
				LicenseArn: member(arn),
				Operation: member(
					fc
						.constantFrom("CheckoutBorrowLicense", "ExpireBorrow", "CreateLicense", "x", "Check In")
						.map(toJson),
				),
				Start: member(date),
				End: member(date),
				MaxResults: member(
					fc
						.constantFrom("-1", "0", "1", "7", "100", "101", "1e400", "1.5", '"5"')
						.map((raw) => ({ raw })),
				),
				NextToken: member(
					fc
						.constantFrom(
							t.nextToken,
							`${t.nextToken}A`,
							t.nextToken.replace(".", ".x"),
							"a.b",
							".",
						)
						.map(toJson),
				),
			};
	const object = fc
		.tuple(fc.record(members), fc.array(fc.tuple(memberName, hostileJson), { maxLength: 2 }))
		.map(([known, extra]) => {
			const entries: [string, Json][] = Object.entries(known).filter(
				(e): e is [string, Json] => e[1] !== undefined,
			);
			return emit({ obj: [...entries, ...extra] });
		});
	const valid = JSON.stringify(
		op === "GetUsageHistory"
			? { LicenseArn: t.license, Granularity: "DAY" }
			: { LicenseArn: t.license, MaxResults: 2 },
	);
	return fc.oneof(
		{ weight: 2, arbitrary: fc.constant(valid) },
		{ weight: 12, arbitrary: object },
		{ weight: 1, arbitrary: wholeBody },
	);
}

/** What is wrong with one successful reply, or null. */
function problemWithSuccess(op: Op, body: Record<string, unknown>): string | null {
	if (op === "GetUsageHistory") {
		const list = body.Entitlements;
		if (!Array.isArray(list)) return "no Entitlements";
		for (const e of list as {
			Points: { Time: unknown; PeakConsumed: unknown; Checkouts: unknown }[];
		}[]) {
			if (e.Points.length > 1000) return `${e.Points.length} points`;
			for (const p of e.Points) {
				if (typeof p.Time !== "string" || Number.isNaN(Date.parse(p.Time)))
					return `Time ${String(p.Time)}`;
				if (!Number.isSafeInteger(p.PeakConsumed) || (p.PeakConsumed as number) < 0)
					return "PeakConsumed";
				if (!Number.isSafeInteger(p.Checkouts) || (p.Checkouts as number) < 0) return "Checkouts";
			}
		}
		return null;
	}
	if (!Array.isArray(body.Events)) return "no Events";
	for (const e of body.Events as Record<string, unknown>[]) {
		if (e.Account !== t.account && e.LicenseArn !== t.license)
			return `an event the caller may not see: ${JSON.stringify(e)}`;
	}
	return null;
}

beforeAll(async () => {
	const controlArn = expectOk(await call("CreateLicense", licenseInput(), {}, OTHER))
		.LicenseArn as string;
	const controlToken = expectOk(
		await call("CheckoutBorrowLicense", checkoutBody(controlArn), {}, OTHER),
	).LicenseConsumptionToken as string;
	const license = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
	const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(license)))
		.LicenseConsumptionToken as string;
	expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }));
	for (const arn of [license, controlArn]) {
		await runInDurableObject(stubOf(arn), (instance) => instance.drainOutbox());
	}
	const page = expectOk(
		await call(
			"ListAuditEvents",
			{ MaxResults: 1 },
			{ "x-amz-target": "EdgeLicenseManager.ListAuditEvents" },
		),
	);
	t = {
		license,
		controlArn,
		account: ISSUER.accountId,
		controlAccount: OTHER.accountId,
		nextToken: page.NextToken as string,
		tokens: [token, controlToken],
	};
});

describe("fuzz: hostile GetUsageHistory and ListAuditEvents requests", () => {
	it(`answers ${PARAMETERS.numRuns} of them with a documented shape or an AWS error, never a 5xx or a token`, async () => {
		await fuzzExtensionOperations({
			operations: OPERATIONS,
			caller: ISSUER,
			bodyArbitrary,
			tokens: t.tokens,
			problemWithSuccess,
			parameters: PARAMETERS,
		});
	}, 180_000);
});
