import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fromBase64url, sha256Hex } from "../../src/encoding";
import { canonicalCheckout, validateCheckout } from "../../src/operations/checkoutBorrowLicense";
import { type CheckoutBody, checkoutBody, createLicense, uniqueToken } from "../helpers/fixtures";
import { ISSUER } from "../helpers/principals";
import { objectRows, stubOf } from "../helpers/storage";
import { call, checkoutCall, usage } from "../helpers/wire";

/**
 * SPEC §4 steps 4 and 9 under load: capacity, all-or-nothing and ClientToken replay
 * must hold for bursts of simultaneous requests, not only for sequential ones. The
 * license's object decides and commits (claims included) in one synchronous step;
 * the Worker signs and stores the response back (src/license/object.ts `checkout`),
 * so the interleaving that matters is between Workers signing the same claims.
 */

import type { Reply } from "../helpers/wire";

/*
 * workerd's WebCrypto finishes synchronously, so a bare burst would never
 * interleave at the signing await and duplicates would never race to store their
 * response back. Signing is wrapped to make one real D1 round trip first (I/O, not
 * a timer): while it is out, other requests reach the object, as they would with
 * any slower signer. It also counts RSA signatures, because a refusal must cost none.
 */
let rsaSignatures = 0;
beforeEach(() => {
	rsaSignatures = 0;
	const sign = crypto.subtle.sign.bind(crypto.subtle);
	vi.spyOn(crypto.subtle, "sign").mockImplementation(async (algorithm, key, data) => {
		const name = typeof algorithm === "string" ? algorithm : algorithm.name;
		if (name === "RSA-PSS") {
			rsaSignatures++;
			await env.DB.prepare("SELECT 1").first();
		}
		return sign(algorithm, key, data);
	});
});
afterEach(() => {
	vi.restoreAllMocks();
});

const SEATS = (value = "1") => [{ Name: "Seats", Unit: "Count", Value: value }];
const SEATS_AND_HOURS = (seats: string, hours: string) => [
	{ Name: "Seats", Unit: "Count", Value: seats },
	{ Name: "Hours", Unit: "Seconds", Value: hours },
];

function expectNoEntitlements(res: Reply): void {
	expect(res.status).toBe(400);
	expect(res.json.__type).toBe("NoEntitlementsAllowedException");
	expect(res.headers.get("x-amzn-ErrorType")).toBe("NoEntitlementsAllowedException");
	expect(res.json.message).toEqual(expect.any(String));
	expect(res.json.Message).toBe(res.json.message);
}

function activeBorrows(arn: string) {
	return objectRows(arn, "SELECT token, client_token, leases FROM borrows WHERE status = 'ACTIVE'");
}

describe("concurrent CheckoutBorrowLicense", () => {
	it("grants exactly MaxCount of 40 simultaneous single-seat borrows; the 33 refusals cost no signature", async () => {
		const arn = await createLicense();
		const replies = await Promise.all(
			Array.from({ length: 40 }, () => checkoutCall(checkoutBody(arn, { Entitlements: SEATS() }))),
		);

		const ok = replies.filter((r) => r.status === 200);
		const refused = replies.filter((r) => r.status !== 200);
		expect(ok).toHaveLength(7);
		expect(refused).toHaveLength(33);
		for (const r of refused) expectNoEntitlements(r);
		for (const r of ok) {
			expect(r.json.LicenseArn).toBe(arn);
			expect(r.json.EntitlementsAllowed).toEqual([{ Name: "Seats", Unit: "Count", Value: "1" }]);
			expect(r.json.SignedToken).toEqual(expect.any(String));
		}
		const tokens = new Set(ok.map((r) => r.json.LicenseConsumptionToken));
		expect(tokens.size).toBe(7);

		expect(rsaSignatures).toBe(7);
		expect(await usage(arn)).toEqual({ Seats: "7", Hours: "0", Tier: "0" });
		const rows = await activeBorrows(arn);
		expect(rows).toHaveLength(7);
		expect(new Set(rows.map((r) => r.token))).toEqual(tokens);
	});

	it("reserves multi-entitlement borrows all-or-nothing", async () => {
		const arn = await createLicense();
		const first = await checkoutCall(
			checkoutBody(arn, { Entitlements: SEATS_AND_HOURS("1", "3000") }),
		);
		expect(first.status).toBe(200);
		expect(first.json.EntitlementsAllowed).toEqual([
			{ Name: "Seats", Unit: "Count", Value: "1" },
			{ Name: "Hours", Unit: "Seconds", Value: "3000" },
		]);

		// Seats would fit (1 of 7 used) but Hours would not (600 of 3600 left).
		const second = await checkoutCall(
			checkoutBody(arn, { Entitlements: SEATS_AND_HOURS("1", "1000") }),
		);
		expectNoEntitlements(second);
		expect(second.json.message).toMatch(/Hours/);
		expect(await usage(arn)).toEqual({ Seats: "1", Hours: "3000", Tier: "0" });
		expect(await activeBorrows(arn)).toHaveLength(1);
	});

	it("keeps all-or-nothing under a burst where only some two-entitlement borrows fit", async () => {
		const arn = await createLicense();
		// Hours is the binding limit: 3600 / 900 = 4 fit, while Seats alone would allow 7.
		const replies = await Promise.all(
			Array.from({ length: 10 }, () =>
				checkoutCall(checkoutBody(arn, { Entitlements: SEATS_AND_HOURS("1", "900") })),
			),
		);
		const ok = replies.filter((r) => r.status === 200);
		expect(ok).toHaveLength(4);
		for (const r of replies.filter((x) => x.status !== 200)) expectNoEntitlements(r);
		for (const r of ok) {
			expect(r.json.EntitlementsAllowed).toEqual([
				{ Name: "Seats", Unit: "Count", Value: "1" },
				{ Name: "Hours", Unit: "Seconds", Value: "900" },
			]);
		}
		expect(rsaSignatures).toBe(4);
		expect(await usage(arn)).toEqual({ Seats: "4", Hours: "3600", Tier: "0" });

		const rows = await activeBorrows(arn);
		expect(rows).toHaveLength(4);
		for (const row of rows) {
			const leases = JSON.parse(row.leases as string) as { name: string; quantity: number }[];
			expect(leases.map((l) => [l.name, l.quantity])).toEqual([
				["Seats", 1],
				["Hours", 900],
			]);
		}
		// The usage table is the sum of the live leases, entitlement by entitlement.
		const usageRows = await objectRows(arn, "SELECT name, consumed FROM usage ORDER BY name");
		expect(usageRows).toEqual([
			{ name: "Hours", consumed: 3600 },
			{ name: "Seats", consumed: 4 },
		]);
	});
});

describe("ClientToken under concurrency", () => {
	it("answers 10 simultaneous duplicates with one reservation and byte-identical bodies (the first response stored back wins)", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, { Entitlements: SEATS() });
		const replies = await Promise.all(Array.from({ length: 10 }, () => checkoutCall(body)));

		for (const r of replies) expect(r.status).toBe(200);
		const texts = new Set(replies.map((r) => r.text));
		expect(texts.size).toBe(1);
		const ids = replies.map((r) => r.headers.get("x-amzn-RequestId"));
		for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
		expect(new Set(ids).size).toBe(10);
		// A duplicate that finds the claims before a response is stored signs them too
		// (PSS is randomised, so its signature differs); only the first stored is answered.
		expect(rsaSignatures).toBeGreaterThanOrEqual(1);
		expect(rsaSignatures).toBeLessThanOrEqual(10);
		const records = await objectRows(
			arn,
			"SELECT response, unsigned FROM client_tokens WHERE client_token = ?",
			body.ClientToken,
		);
		expect(records).toEqual([{ response: replies[0]?.text, unsigned: null }]);

		expect(await usage(arn)).toEqual({ Seats: "1", Hours: "0", Tier: "0" });
		const rows = await objectRows(arn, "SELECT token, client_token FROM borrows");
		expect(rows).toEqual([
			{ token: replies[0]?.json.LicenseConsumptionToken, client_token: body.ClientToken },
		]);

		// The same token for a different request is refused and changes nothing.
		for (const other of [
			{ ...body, Entitlements: SEATS("2") },
			{ ...body, NodeId: "another-node" },
		]) {
			const res = await checkoutCall(other);
			expect(res.status).toBe(400);
			expect(res.json.__type).toBe("ValidationException");
			expect(res.json.message).toMatch(/ClientToken/);
		}
		expect(await usage(arn)).toEqual({ Seats: "1", Hours: "0", Tier: "0" });
		expect(await objectRows(arn, "SELECT token FROM borrows")).toHaveLength(1);

		// And the original request still replays, byte for byte.
		const again = await checkoutCall(body);
		expect(again.status).toBe(200);
		expect(again.text).toBe(replies[0]?.text);
	});

	it("treats a request with defaulted Value and reordered entitlements as the same request", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, {
			Entitlements: [
				{ Name: "Tier", Unit: "None" },
				{ Name: "Seats", Unit: "Count" },
			],
		});
		const first = await checkoutCall(body);
		expect(first.status).toBe(200);
		const same = await checkoutCall({
			...body,
			Entitlements: [
				{ Name: "Seats", Unit: "Count", Value: "1" },
				{ Name: "Tier", Unit: "None" },
			],
		});
		expect(same.status).toBe(200);
		expect(same.text).toBe(first.text);
		expect(await usage(arn)).toEqual({ Seats: "1", Hours: "0", Tier: "0" });
	});

	it("replays a stored success after capacity is full", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, { Entitlements: SEATS() });
		const first = await checkoutCall(body);
		expect(first.status).toBe(200);
		expect((await checkoutCall(checkoutBody(arn, { Entitlements: SEATS("6") }))).status).toBe(200);
		expectNoEntitlements(await checkoutCall(checkoutBody(arn, { Entitlements: SEATS() })));

		const replay = await checkoutCall(body);
		expect(replay.status).toBe(200);
		expect(replay.text).toBe(first.text);
		expect(replay.headers.get("x-amzn-RequestId")).not.toBe(first.headers.get("x-amzn-RequestId"));
		expect(await usage(arn)).toEqual({ Seats: "7", Hours: "0", Tier: "0" });
		expect(await activeBorrows(arn)).toHaveLength(2);
	});

	it("answers every duplicate group of a mixed burst consistently", async () => {
		const arn = await createLicense();
		const bodies = Array.from({ length: 20 }, () =>
			checkoutBody(arn, { Entitlements: SEATS(), ClientToken: uniqueToken("mix") }),
		);
		// Interleave the duplicates so each group's copies arrive apart from each other.
		const sends = [0, 1, 2].flatMap(() => bodies.map((b) => ({ body: b, reply: checkoutCall(b) })));
		const replies = await Promise.all(
			sends.map(async (s) => ({ token: s.body.ClientToken, res: await s.reply })),
		);

		const groups = new Map<string, Reply[]>();
		for (const { token, res } of replies) groups.set(token, [...(groups.get(token) ?? []), res]);
		expect(groups.size).toBe(20);

		const granted = new Set<unknown>();
		for (const group of groups.values()) {
			expect(group).toHaveLength(3);
			if (group[0]?.status === 200) {
				for (const r of group) {
					expect(r.status).toBe(200);
					expect(r.text).toBe(group[0].text);
				}
				granted.add(group[0].json.LicenseConsumptionToken);
			} else {
				for (const r of group) expectNoEntitlements(r);
			}
		}
		expect(granted.size).toBe(7);
		// Only granted groups sign (each copy at most once); the 13 refused groups sign nothing.
		expect(rsaSignatures).toBeGreaterThanOrEqual(7);
		expect(rsaSignatures).toBeLessThanOrEqual(7 * 3);
		expect(await usage(arn)).toEqual({ Seats: "7", Hours: "0", Tier: "0" });
		const rows = await activeBorrows(arn);
		expect(new Set(rows.map((r) => r.token))).toEqual(granted);
	});

	it("a signature that fails after the decision: that request answers a generic 500, its duplicates sign the stored claims, one borrow holds the license", async () => {
		const arn = await createLicense();
		const sign = vi.mocked(crypto.subtle.sign).getMockImplementation();
		let failNext = true;
		vi.mocked(crypto.subtle.sign).mockImplementation(async (algorithm, key, data) => {
			const result = sign?.(algorithm, key, data) as Promise<ArrayBuffer>;
			if (failNext && (algorithm as { name?: string }).name === "RSA-PSS") {
				failNext = false;
				await result;
				throw new Error("internal signer detail");
			}
			return result;
		});
		const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
		const body = checkoutBody(arn, { Entitlements: SEATS("7") });
		const replies = await Promise.all([checkoutCall(body), checkoutCall(body), checkoutCall(body)]);
		// The operator's log names the event; the client's 500 says nothing of it.
		expect(errors.mock.calls.map((c) => JSON.parse(String(c[0])).type)).toEqual([
			"checkout_signing_failed",
		]);

		const failed = replies.filter((r) => r.status !== 200);
		expect(failed).toHaveLength(1);
		expect(failed[0]?.status).toBe(500);
		expect(failed[0]?.json.__type).toBe("ServerInternalException");
		expect(failed[0]?.text).not.toContain("internal signer detail");
		const ok = replies.filter((r) => r.status === 200);
		expect(ok).toHaveLength(2);
		expect(ok[1]?.text).toBe(ok[0]?.text);
		expect(ok[0]?.json.EntitlementsAllowed).toEqual(SEATS("7"));

		// The decision was committed once: exactly one borrow of 7 holds the license.
		expect(await usage(arn)).toEqual({ Seats: "7", Hours: "0", Tier: "0" });
		expect(await activeBorrows(arn)).toHaveLength(1);
		// The failed request's own retry gets the stored bytes.
		const retry = await checkoutCall(body);
		expect(retry.status).toBe(200);
		expect(retry.text).toBe(ok[0]?.text);
	});
});

/** The claims of a compact JWS, exactly as signed (its payload decoded, not re-serialised). */
function payloadText(signedToken: string): string {
	const payload = signedToken.split(".")[1] ?? "";
	return new TextDecoder().decode(fromBase64url(payload));
}

/** The decision RPC exactly as the Worker sends it for `body`, by the issuer account. */
async function decide(arn: string, body: CheckoutBody) {
	const req = validateCheckout(body as unknown as Record<string, unknown>, 8192);
	return stubOf(arn).checkout({
		caller: { accountId: ISSUER.accountId, accessKeyId: ISSUER.accessKeyId, requestId: "req-died" },
		licenseArn: req.licenseArn,
		clientToken: req.clientToken,
		requestHash: await sha256Hex(canonicalCheckout(req)),
		entitlements: req.entitlements,
	});
}

describe("the object decides, the Worker signs", () => {
	it("a Worker that dies after the decision: the retry signs the stored claims and recovers the same borrow", async () => {
		const arn = await createLicense();
		const body = checkoutBody(arn, { Entitlements: SEATS("2") });
		// The first Worker got as far as the decision, then died: nothing signed, nothing stored back.
		const decided = await decide(arn, body);
		if (!decided.ok || !("unsigned" in decided.value)) throw new Error("expected a decision");
		const { unsigned } = decided.value;
		expect(rsaSignatures).toBe(0);
		expect(await usage(arn)).toEqual({ Seats: "2", Hours: "0", Tier: "0" });
		const [row] = await objectRows(
			arn,
			"SELECT response, unsigned FROM client_tokens WHERE client_token = ?",
			body.ClientToken,
		);
		expect(row).toEqual({ response: "", unsigned: JSON.stringify(unsigned) });

		// Its client retries the same ClientToken: the stored claims are signed, not a new borrow made.
		const retry = await checkoutCall(body);
		expect(retry.status).toBe(200);
		expect(rsaSignatures).toBe(1);
		const claims = JSON.parse(unsigned.claims) as { licenseConsumptionToken: string };
		expect(retry.json.LicenseConsumptionToken).toBe(claims.licenseConsumptionToken);
		expect(payloadText(retry.json.SignedToken as string)).toBe(unsigned.claims);
		expect(retry.json.EntitlementsAllowed).toEqual(SEATS("2"));
		expect(await usage(arn)).toEqual({ Seats: "2", Hours: "0", Tier: "0" });
		expect((await activeBorrows(arn)).map((r) => r.token)).toEqual([
			claims.licenseConsumptionToken,
		]);

		// From now on the record answers those bytes: a replay signs nothing, and a late
		// store-back (the dead Worker's, had it lived) gets the stored bytes, not its own.
		const replay = await checkoutCall(body);
		expect(replay.text).toBe(retry.text);
		expect(rsaSignatures).toBe(1);
		const late = await stubOf(arn).storeCheckoutResponse(
			{ accountId: ISSUER.accountId, accessKeyId: ISSUER.accessKeyId, requestId: "req-died" },
			body.ClientToken,
			'{"late":"response"}',
		);
		expect(late).toEqual({ ok: true, value: retry.text });
		// A decision repeated for the same request answers the stored response, not claims.
		expect(await decide(arn, body)).toEqual({ ok: true, value: { response: retry.text } });
	});

	it("the response stored back is the one the decision's bytes frame: same claims, same members as a direct serialisation", async () => {
		const arn = await createLicense();
		const body = {
			...checkoutBody(arn, { Entitlements: SEATS() }),
			NodeId: "node-7",
			CheckoutMetadata: [{ Name: "__proto__", Value: "x" }],
		};
		const res = await call("CheckoutBorrowLicense", body);
		expect(res.status).toBe(200);
		const parsed = res.json as Record<string, unknown>;
		expect(Object.keys(parsed)).toEqual([
			"LicenseArn",
			"LicenseConsumptionToken",
			"EntitlementsAllowed",
			"NodeId",
			"SignedToken",
			"IssuedAt",
			"Expiration",
			"CheckoutMetadata",
		]);
		expect(res.text).toBe(JSON.stringify(parsed));
		const payload = payloadText(parsed.SignedToken as string);
		expect(payload).toContain('"checkoutMetadata":{"__proto__":"x"}');
		const claims = JSON.parse(payload);
		expect(claims.licenseConsumptionToken).toBe(parsed.LicenseConsumptionToken);
		expect(claims.nodeId).toBe("node-7");
	});
});
