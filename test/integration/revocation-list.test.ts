import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { advanceClockForTests, clock } from "../../src/clock";
import { LicenseObject } from "../../src/license/object";
import { parseLicenseArn } from "../../src/licenseIds";
import { signaturesMadeForTests } from "../../src/signing/jws";
import { expectAlarmRan, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput } from "../helpers/fixtures";
import { objectRows, stubOf } from "../helpers/storage";
import { envWith } from "../helpers/vars";
import { call, workerFetch } from "../helpers/wire";

/**
 * The body as text. `Response.text()` on an `application/jwt` body makes workerd warn
 * that it "does not appear to be text", once per call (1,200 times in this file).
 */
async function jwtText(res: Response): Promise<string> {
	return new TextDecoder().decode(await res.arrayBuffer());
}

/**
 * SPEC §9: `GET /revocations/<license-id>` — public, cacheable, signed once per
 * change; a checked-in borrow is listed until its token's exp, and the retention
 * purge keeps it that long.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function url(arn: string): string {
	return `http://license-manager.test/revocations/${parseLicenseArn(arn)?.licenseId}`;
}

async function jwks(): Promise<JSONWebKeySet> {
	return (await (
		await workerFetch("http://license-manager.test/.well-known/jwks.json")
	).json()) as JSONWebKeySet;
}

async function verified(arn: string) {
	const res = await workerFetch(url(arn));
	expect(res.status).toBe(200);
	const text = await jwtText(res);
	const { payload, protectedHeader } = await jwtVerify(text, createLocalJWKSet(await jwks()), {
		algorithms: ["PS384"],
		typ: "revocation-list+jwt",
		issuer: env.ISSUER_ID,
		subject: arn,
		currentDate: new Date(clock.now()),
	});
	return { text, payload, protectedHeader, res };
}

describe("GET /revocations/<license-id>", () => {
	it("serves the signed list: public, cacheable, PS384 with the current kid, exp one hour after issuedAt", async () => {
		const arn = await createLicense();
		const { payload, protectedHeader, res } = await verified(arn);
		expect(res.headers.get("Content-Type")).toBe("application/jwt");
		expect(res.headers.get("Cache-Control")).toBe("public, max-age=60");
		expect(protectedHeader).toEqual({
			alg: "PS384",
			typ: "revocation-list+jwt",
			kid: "test-key-1",
		});
		const issuedAt = Date.parse(payload.issuedAt as string);
		expect(payload).toEqual({
			iss: env.ISSUER_ID,
			sub: arn,
			issuedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
			exp: issuedAt / 1000 + 3600,
			revoked: [],
		});
		expect(Math.abs(issuedAt - clock.now())).toBeLessThan(2000);
	});

	it("answers 404 with no body for an unknown, malformed or never-minted id", async () => {
		const arn = await createLicense();
		const id = parseLicenseArn(arn)?.licenseId as string;
		const unknown = `${id.slice(0, -1)}${id.endsWith("0") ? "1" : "0"}`;
		for (const path of [
			unknown,
			"l-zz",
			"not-a-license",
			`${id}x`,
			"l-ff0123456789abcdef0123456789abcd", // a placement never minted
			encodeURIComponent("l-../../x"),
		]) {
			const res = await workerFetch(`http://license-manager.test/revocations/${path}`);
			expect(res.status, path).toBe(404);
			expect(await jwtText(res), path).toBe("");
		}
		// No object was left behind by probing the unknown id.
		const stub = env.LICENSES.get(env.LICENSES.idFromName(unknown));
		expect(await stub.revocationList()).toBeNull();
	});

	it("1,000 fetches cost at most one signature; a change costs exactly one, however many fetch at once", async () => {
		const arn = await createLicense();
		await workerFetch(url(arn)).then(jwtText);
		const before = signaturesMadeForTests();
		const texts = await Promise.all(
			Array.from({ length: 1000 }, () => workerFetch(url(arn)).then(jwtText)),
		);
		expect(signaturesMadeForTests() - before).toBe(0);
		expect(new Set(texts).size).toBe(1);

		// A check-in changes the list: 200 concurrent fetches share one new signature.
		const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)))
			.LicenseConsumptionToken as string;
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }));
		const changed = signaturesMadeForTests();
		const after = await Promise.all(
			Array.from({ length: 200 }, () => workerFetch(url(arn)).then(jwtText)),
		);
		expect(signaturesMadeForTests() - changed).toBe(1);
		expect(new Set(after).size).toBe(1);
		expect(after[0]).not.toBe(texts[0]);
	});

	it("re-signs a list past half its life, and not before", async () => {
		const arn = await createLicense();
		const first = (await verified(arn)).text;
		advanceClockForTests(29 * MINUTE);
		expect((await verified(arn)).text).toBe(first);
		advanceClockForTests(2 * MINUTE);
		const second = await verified(arn);
		expect(second.text).not.toBe(first);
		expect(Date.parse(second.payload.issuedAt as string)).toBeGreaterThan(
			Date.parse(decodeJwt(first).issuedAt as string),
		);
	});

	it("lists a checked-in borrow until its token's exp (Extend moves the lease, not the exp), then drops it", async () => {
		const arn = await createLicense(); // TTL 60 minutes
		const out = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		const token = out.LicenseConsumptionToken as string;
		const exp = Date.parse(out.Expiration as string) / 1000;
		advanceClockForTests(30 * MINUTE);
		// Extended: the lease now ends 90 minutes after checkout; the signed exp stays at 60.
		expectOk(await call("ExtendLicenseConsumption", { LicenseConsumptionToken: token }));
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }));
		expect((await verified(arn)).payload.revoked).toEqual([
			{ jti: borrowIdOf(token), exp, reason: "CHECKED_IN" },
		]);
		advanceClockForTests(30 * MINUTE + 1000); // past the token's exp
		const later = await verified(arn);
		expect(later.payload.revoked).toEqual([]);
	});

	it("the retention purge keeps a returned borrow while its token is listed, then takes it", async () => {
		const vars = { ENDED_BORROW_RETENTION_DAYS: "1" };
		const arn = await createLicense({
			ConsumptionConfiguration: {
				RenewType: "None",
				BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 3 * 24 * 60 },
			},
		});
		await runInDurableObject(stubOf(arn), (instance) =>
			LicenseObject.redeployForTests(instance, envWith(vars)),
		);
		const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)))
			.LicenseConsumptionToken as string;
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }));
		const rows = () => objectRows(arn, "SELECT borrow_id FROM borrows");

		// Two days after the check-in (retention is one day): still listed, so still kept.
		advanceClockForTests(2 * DAY);
		await expectAlarmRan(arn);
		expect(await rows()).toEqual([{ borrow_id: borrowIdOf(token) }]);
		expect(((await verified(arn)).payload.revoked as { jti: string }[]).map((e) => e.jti)).toEqual([
			borrowIdOf(token),
		]);
		// The alarm is set for when the token expires, not for "now" again.
		const alarmAt = await runInDurableObject(stubOf(arn), (_i, state) => state.storage.getAlarm());
		expect(alarmAt).toBeGreaterThan(clock.now());

		// Past the token's exp (3 days): off the list, and purged.
		advanceClockForTests(DAY + MINUTE);
		await expectAlarmRan(arn);
		expect(await rows()).toEqual([]);
		expect((await verified(arn)).payload.revoked).toEqual([]);
	});

	it("each license has its own list", async () => {
		const a = await createLicense();
		const b = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
		const token = expectOk(await call("CheckoutBorrowLicense", checkoutBody(a)))
			.LicenseConsumptionToken as string;
		expectOk(await call("CheckInLicense", { LicenseConsumptionToken: token }));
		expect((await verified(a)).payload.revoked).toHaveLength(1);
		expect((await verified(b)).payload.revoked).toEqual([]);
	});
});
