import type { JSONWebKeySet } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
	BorrowTokenConfigError,
	type BorrowTokenError,
	verifyBorrowToken,
	verifyRevocationList,
} from "../../packages/verify/src/index";
import { borrowIdOf } from "../../src/borrowId";
import {
	claims,
	EXP_SEC,
	ISSUED_AT_MS,
	ISSUER,
	LICENSE_ARN,
	makeKey,
	sign,
	signRevocationList,
	type TestKey,
} from "../fixtures/verify/tokens";

/** The verifier's revocation list (SPEC §9): verifying a list, and refusing listed tokens. */

let key: TestKey;
let jwks: JSONWebKeySet;
const JTI = claims().jti as string;
const LIST_AT = ISSUED_AT_MS + 20 * 60_000;

beforeAll(async () => {
	key = await makeKey("k1");
	jwks = { keys: [key.publicJwk] };
});

async function refusal(promise: Promise<unknown>): Promise<BorrowTokenError> {
	const error = await promise.then(
		() => null,
		(e: unknown) => e,
	);
	expect(error).toMatchObject({ name: "BorrowTokenError" });
	return error as BorrowTokenError;
}

function listOptions(now = LIST_AT + 60_000) {
	return { keys: jwks, licenseArn: LICENSE_ARN, issuer: ISSUER, now };
}

describe("verifyRevocationList", () => {
	it("returns the entries of a valid list", async () => {
		const jws = await signRevocationList(key, [
			{ jti: JTI, exp: EXP_SEC, reason: "REVOKED" },
			{ jti: "b-other", exp: EXP_SEC, reason: "CHECKED_IN" },
		]);
		const list = await verifyRevocationList(jws, listOptions());
		expect(list).toEqual({
			licenseArn: LICENSE_ARN,
			iss: ISSUER,
			issuedAtMs: LIST_AT,
			expiresAtMs: LIST_AT + 3_600_000,
			revoked: new Map([
				[JTI, { exp: EXP_SEC, reason: "REVOKED" }],
				["b-other", { exp: EXP_SEC, reason: "CHECKED_IN" }],
			]),
		});
	});

	it("an expired list is STALE_REVOCATION_LIST (after the clock tolerance)", async () => {
		const jws = await signRevocationList(key, []);
		await expect(
			verifyRevocationList(jws, listOptions(LIST_AT + 3_600_000 + 299_000)),
		).resolves.toBeTruthy();
		const stale = await refusal(
			verifyRevocationList(jws, listOptions(LIST_AT + 3_600_000 + 300_000)),
		);
		expect(stale.code).toBe("STALE_REVOCATION_LIST");
		expect(stale.message).toMatch(/fetch a fresh one/);
	});

	it("a list for another license, another issuer, a borrow token, or another key is refused", async () => {
		const other = await signRevocationList(key, [], { claims: { sub: `${LICENSE_ARN}x` } });
		expect((await refusal(verifyRevocationList(other, listOptions()))).code).toBe("WRONG_LICENSE");
		const iss = await signRevocationList(key, [], { claims: { iss: "someone" } });
		expect((await refusal(verifyRevocationList(iss, listOptions()))).code).toBe("WRONG_ISSUER");
		const token = await sign(key);
		expect((await refusal(verifyRevocationList(token, listOptions()))).code).toBe("MALFORMED");
		const evil = await makeKey("k1");
		const forged = await signRevocationList(evil, []);
		expect((await refusal(verifyRevocationList(forged, listOptions()))).code).toBe("BAD_SIGNATURE");
		const bad = await signRevocationList(key, [{ jti: JTI, exp: EXP_SEC, reason: "LOST" }]);
		expect((await refusal(verifyRevocationList(bad, listOptions()))).code).toBe("MALFORMED");
	});

	it("needs a licenseArn", async () => {
		const jws = await signRevocationList(key, []);
		await expect(
			verifyRevocationList(jws, { keys: jwks, licenseArn: "" } as never),
		).rejects.toBeInstanceOf(BorrowTokenConfigError);
	});
});

describe("verifyBorrowToken with a revocationList", () => {
	it("refuses a listed token with REVOKED, accepts one not listed", async () => {
		const token = await sign(key);
		const now = LIST_AT + 60_000;
		const listed = await verifyRevocationList(
			await signRevocationList(key, [{ jti: JTI, exp: EXP_SEC, reason: "REVOKED" }]),
			listOptions(),
		);
		const error = await refusal(
			verifyBorrowToken(token, {
				keys: jwks,
				licenseArn: LICENSE_ARN,
				now,
				revocationList: listed,
			}),
		);
		expect(error.code).toBe("REVOKED");
		expect(error.message).toMatch(/revoked by the license's issuer/);
		const empty = await verifyRevocationList(await signRevocationList(key, []), listOptions());
		await expect(
			verifyBorrowToken(token, { keys: jwks, licenseArn: LICENSE_ARN, now, revocationList: empty }),
		).resolves.toMatchObject({ jti: JTI });
	});

	it("finds a token minted before BorrowIds (jti = consumption token) by its derived BorrowId", async () => {
		const consumption = "0123456789abcdef0123456789abcdefcafe";
		const legacy = await sign(
			key,
			claims({ jti: consumption, licenseConsumptionToken: consumption }),
		);
		const list = await verifyRevocationList(
			await signRevocationList(key, [
				{ jti: borrowIdOf(consumption), exp: EXP_SEC, reason: "CHECKED_IN" },
			]),
			listOptions(),
		);
		const error = await refusal(
			verifyBorrowToken(legacy, {
				keys: jwks,
				licenseArn: LICENSE_ARN,
				now: LIST_AT,
				revocationList: list,
			}),
		);
		expect(error.code).toBe("REVOKED");
		expect(error.message).toMatch(/checked in/);
	});

	it("a list of another license, or not from verifyRevocationList, is a configuration error", async () => {
		const token = await sign(key);
		const list = await verifyRevocationList(await signRevocationList(key, []), listOptions());
		await expect(
			verifyBorrowToken(token, {
				keys: jwks,
				licenseArn: LICENSE_ARN,
				now: LIST_AT,
				revocationList: { ...list, licenseArn: "arn:other" },
			}),
		).rejects.toBeInstanceOf(BorrowTokenConfigError);
		await expect(
			verifyBorrowToken(token, {
				keys: jwks,
				licenseArn: LICENSE_ARN,
				now: LIST_AT,
				revocationList: { revoked: [JTI] } as never,
			}),
		).rejects.toBeInstanceOf(BorrowTokenConfigError);
	});
});
