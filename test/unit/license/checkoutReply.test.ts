import { describe, expect, it } from "vitest";
import { borrowIdOf } from "../../../src/borrowId";
import {
	checkoutClaims,
	checkoutGrant,
	checkoutResponseAround,
	entitlementsAllowed,
	unsignedCheckout,
} from "../../../src/license/checkoutReply";
import { checkoutReplayOf } from "../../../src/license/clientTokens";
import { signedCheckoutResponse } from "../../../src/license/contract";
import type { Lease } from "../../../src/license/model";
import { license, T0 } from "./fixtures";

/**
 * What a checkout answers, from values alone: the object serialises the response
 * around the token once, the Worker puts the signed token in, and a stored record
 * answers either those bytes or the same claims again.
 */

const LEASES: Lease[] = [
	{ name: "Seats", unit: "Count", value: "2", quantity: 2 },
	{ name: "Tier", unit: "None", value: "gold", quantity: 0 },
];
const TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const SIGNED = "eyJhbGciOiJQUzM4NCJ9.eyJ4IjoxfQ.c2lnbmF0dXJl";

function grant(request: Parameters<typeof checkoutGrant>[5] = {}) {
	return checkoutGrant(license(), LEASES, TOKEN, T0 + 1234, 43_200, request);
}

/** The response as one JSON.stringify of the whole object writes it. */
function directResponse(g: ReturnType<typeof grant>, signedToken: string): string {
	return JSON.stringify({
		LicenseArn: g.license.LicenseArn,
		LicenseConsumptionToken: g.token,
		EntitlementsAllowed: entitlementsAllowed(g.leases),
		NodeId: g.nodeId,
		SignedToken: signedToken,
		IssuedAt: new Date(g.issuedAt).toISOString().replace(".000Z", "Z"),
		Expiration: new Date(g.expiresAt).toISOString().replace(".000Z", "Z"),
		CheckoutMetadata: g.checkoutMetadata,
	});
}

describe("a checkout's response around its token", () => {
	it("is byte for byte what serialising the whole response writes, with and without NodeId and metadata", () => {
		for (const request of [
			{},
			{ nodeId: "node-1" },
			{ checkoutMetadata: [{ Name: "__proto__", Value: 'quote " and \\ backslash' }] },
			{
				nodeId: "n",
				checkoutMetadata: [
					{ Name: "2", Value: "b" },
					{ Name: "1", Value: "a" },
				],
			},
		]) {
			const g = grant(request);
			const around = checkoutResponseAround(g);
			expect(`${around.before}${JSON.stringify(SIGNED)}${around.after}`).toBe(
				directResponse(g, SIGNED),
			);
		}
	});

	it("carries the claims serialised once, and the decision time that picks the signing key", () => {
		const g = grant({ nodeId: "node-1" });
		const unsigned = unsignedCheckout(g, "issuer-1", T0 + 1234);
		expect(unsigned.decidedAt).toBe(T0 + 1234);
		expect(unsigned.claims).toBe(JSON.stringify(checkoutClaims(g, "issuer-1")));
		expect(JSON.parse(unsigned.claims)).toMatchObject({
			licenseConsumptionToken: TOKEN,
			jti: borrowIdOf(TOKEN),
			iss: "issuer-1",
			nodeId: "node-1",
			issuedAt: "2030-01-01T00:00:01Z",
			exp: (T0 + 1000 + 3_600_000) / 1000,
		});
		expect(signedCheckoutResponse(unsigned, SIGNED)).toBe(directResponse(g, SIGNED));
	});
});

describe("what a checkout's ClientToken record answers", () => {
	const unsigned = unsignedCheckout(grant(), "issuer-1", T0);

	it("its stored response, once the Worker stored one back", () => {
		const stored = { requestHash: "h", response: '{"stored":1}', unsigned: null };
		expect(checkoutReplayOf(stored, "h")).toEqual({
			ok: true,
			value: { response: '{"stored":1}' },
		});
	});

	it("the same claims again while no response is stored (the first Worker failed or died)", () => {
		const stored = { requestHash: "h", response: "", unsigned: JSON.stringify(unsigned) };
		expect(checkoutReplayOf(stored, "h")).toEqual({ ok: true, value: { unsigned } });
	});

	it("a ValidationException for a different request under the same ClientToken, stored or not", () => {
		for (const stored of [
			{ requestHash: "h", response: '{"stored":1}', unsigned: null },
			{ requestHash: "h", response: "", unsigned: JSON.stringify(unsigned) },
		]) {
			const replay = checkoutReplayOf(stored, "other");
			expect(replay.ok).toBe(false);
			expect(!replay.ok && replay.error.type).toBe("ValidationException");
			expect(!replay.ok && replay.error.message).toMatch(/ClientToken was already used/);
		}
	});
});
