import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { parseLicenseArn } from "../../src/licenseIds";
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
import { call, extensionCall, workerFetch } from "../helpers/wire";

/**
 * Property-based fuzz of ListBorrows, RevokeBorrow (hostile, correctly signed
 * requests) and GET /revocations/<id> (hostile paths): every answer is a documented
 * shape or an AWS error (a bare 404 for the list route); never a 5xx, never a
 * consumption token, and a revocation only ever of the caller's own license.
 * Seeded like test/integration/fuzz.test.ts (FUZZ_SEED / FUZZ_PATH replay a failure).
 */

const PARAMETERS = fuzzParameters(env, 400);

interface Targets {
	license: string;
	controlArn: string;
	borrowIds: string[];
	controlBorrowId: string;
	nextToken: string;
	tokens: string[];
}
let t: Targets;

function member(valid: fc.Arbitrary<Json>): fc.Arbitrary<Json | undefined> {
	return fc.oneof(
		{ weight: 3, arbitrary: valid },
		{ weight: 2, arbitrary: hostileJson },
		{ weight: 1, arbitrary: fc.constant(undefined) },
	);
}

type Op = "ListBorrows" | "RevokeBorrow";

function bodyArbitrary(op: Op): fc.Arbitrary<string | Uint8Array> {
	const arn = fc.oneof(
		fc.constantFrom(t.license, t.controlArn).map(toJson),
		badArn({
			account: ISSUER.accountId,
			license: t.license,
			deletable: t.license,
			token: t.tokens[0] as string,
			controlArn: t.controlArn,
			controlToken: t.tokens[1] as string,
			controlAccount: OTHER.accountId,
		}).map(toJson),
	);
	const borrowId = fc
		.constantFrom(
			...t.borrowIds,
			t.controlBorrowId,
			t.tokens[0] as string,
			"b-",
			`${t.borrowIds[0]}0`,
			(t.borrowIds[0] as string).toUpperCase(),
		)
		.map(toJson);
	const members: Record<string, fc.Arbitrary<Json | undefined>> = op === "ListBorrows"
		? {
				LicenseArn: member(arn),
				Status: member(
					fc.constantFrom("ACTIVE", "REVOKED", "CHECKED_IN", "EXPIRED", "active", "").map(toJson),
				),
				NodeId: member(fc.constantFrom("n-1", "", "\u0000", "x".repeat(257)).map(toJson)),
				MaxResults: member(
					fc
						.constantFrom("-1", "0", "1", "100", "101", "1e400", "1.5", '"5"')
						.map((raw) => ({ raw })),
				),
				NextToken: member(fc.constantFrom(t.nextToken, `${t.nextToken}A`, "a.b", ".").map(toJson)),
			}
		: {
				LicenseArn: member(arn),
				BorrowId: member(borrowId),
				Reason: member(fc.constantFrom("stolen", "", "x".repeat(257), "a\nb").map(toJson)),
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
		op === "ListBorrows"
			? { LicenseArn: t.license, MaxResults: 2 }
			: { LicenseArn: t.license, BorrowId: t.borrowIds[0] },
	);
	return fc.oneof(
		{ weight: 2, arbitrary: fc.constant(valid) },
		{ weight: 12, arbitrary: object },
		{ weight: 1, arbitrary: wholeBody },
	);
}

function problemWithSuccess(op: Op, body: Record<string, unknown>): string | null {
	if (op === "RevokeBorrow") {
		if (body.Status !== "REVOKED" || !t.borrowIds.includes(body.BorrowId as string))
			return `revoked ${JSON.stringify(body)}`;
		return null;
	}
	if (!Array.isArray(body.Borrows)) return "no Borrows";
	return null;
}

beforeAll(async () => {
	const controlArn = expectOk(await call("CreateLicense", licenseInput(), {}, OTHER))
		.LicenseArn as string;
	const controlToken = expectOk(
		await call("CheckoutBorrowLicense", checkoutBody(controlArn), {}, OTHER),
	).LicenseConsumptionToken as string;
	const license = expectOk(
		await call(
			"CreateLicense",
			licenseInput({ Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 100 }] }),
		),
	).LicenseArn as string;
	const tokens: string[] = [];
	for (let i = 0; i < 4; i++) {
		tokens.push(
			expectOk(await call("CheckoutBorrowLicense", checkoutBody(license, { NodeId: "n-1" })))
				.LicenseConsumptionToken as string,
		);
	}
	const page = expectOk(await extensionCall("ListBorrows", { LicenseArn: license, MaxResults: 1 }));
	t = {
		license,
		controlArn,
		borrowIds: tokens.map(borrowIdOf),
		controlBorrowId: borrowIdOf(controlToken),
		nextToken: page.NextToken as string,
		tokens: [...tokens, controlToken],
	};
});

describe("fuzz: hostile ListBorrows, RevokeBorrow and revocation-list requests", () => {
	it(`answers ${PARAMETERS.numRuns} of them with a documented shape or an AWS error, never a 5xx or a token`, async () => {
		await fuzzExtensionOperations({
			operations: ["ListBorrows", "RevokeBorrow"] as const,
			caller: ISSUER,
			bodyArbitrary,
			tokens: t.tokens,
			mayQuoteSent: true,
			problemWithSuccess,
			parameters: PARAMETERS,
		});

		// The other account's borrow was never revoked.
		const control = expectOk(
			await extensionCall("ListBorrows", { LicenseArn: t.controlArn }, OTHER),
		);
		expect(control.Borrows).toMatchObject([{ BorrowId: t.controlBorrowId, Status: "ACTIVE" }]);
	}, 180_000);

	it("GET /revocations/<hostile id> is a 200 JWS for the license and a bare 404 otherwise", async () => {
		const id = parseLicenseArn(t.license)?.licenseId as string;
		const segment = fc.oneof(
			fc.constant(id),
			fc.string({ maxLength: 80 }),
			fc.stringMatching(/^l-[0-9a-f]{0,40}$/),
			fc.constantFrom("%00", "%2e%2e", "..", "%ZZ", `${id}%00`, `${id}/x`, "l-"),
		);
		await fc.assert(
			fc.asyncProperty(segment, async (raw) => {
				const path = /%|\//.test(raw) ? raw : encodeURIComponent(raw);
				const res = await workerFetch(`http://license-manager.test/revocations/${path}`);
				const text = await res.text();
				expect(res.status).toBeLessThan(500);
				if (res.status === 200) {
					expect(res.headers.get("Content-Type")).toBe("application/jwt");
					expect(text.split(".")).toHaveLength(3);
				} else if (res.status === 404) {
					expect(text).toBe("");
				} else {
					// A path with more segments is no route at all: the AWS error for that.
					expect(res.status).toBe(400);
					expect(JSON.parse(text).__type).toBe("UnknownOperationException");
				}
				for (const token of t.tokens) expect(text).not.toContain(token);
			}),
			{ seed: PARAMETERS.seed, numRuns: 200 },
		);
	});
});
