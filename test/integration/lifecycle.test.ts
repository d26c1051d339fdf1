import {
	CheckInLicenseCommand,
	CreateLicenseVersionCommand,
} from "@aws-sdk/client-license-manager";
import { describe, expect, it } from "vitest";
import { advanceClockForTests } from "../../src/clock";
import { expectAwsError, expectSdkError } from "../helpers/expectations";
import { createLicense, HOUR, licenseInput, MINUTE } from "../helpers/fixtures";
import { borrow, sdkClient, versionInput } from "../helpers/sdk";
import { runAlarm } from "../helpers/storage";
import { call, usage, usageText } from "../helpers/wire";

const client = sdkClient();

const checkIn = (token: string, beneficiary?: string) =>
	client.send(
		new CheckInLicenseCommand({
			LicenseConsumptionToken: token,
			...(beneficiary === undefined ? {} : { Beneficiary: beneficiary }),
		}),
	);

describe("CheckInLicense", () => {
	it("returns the borrowed quantities at once and answers {}", async () => {
		const arn = await createLicense();
		const out = await borrow(arn, [
			{ Name: "Seats", Unit: "Count", Value: "2" },
			{ Name: "Hours", Unit: "Seconds", Value: "100" },
			{ Name: "Tier", Unit: "None" },
		]);
		expect(await usage(arn)).toEqual({ Seats: "2", Hours: "100", Tier: "0" });

		const res = await call("CheckInLicense", {
			LicenseConsumptionToken: out.LicenseConsumptionToken,
		});
		expect(res.status, res.text).toBe(200);
		expect(res.text).toBe("{}");
		expect(res.headers.get("Content-Type")).toBe("application/x-amz-json-1.1");
		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });

		// The expiry alarm later finds nothing to release: usage never goes negative.
		advanceClockForTests(2 * HOUR);
		await runAlarm(arn);
		expect(await usage(arn)).toEqual({ Seats: "0", Hours: "0", Tier: "0" });
	});

	it("through the SDK too; a second check-in succeeds and changes nothing", async () => {
		const arn = await createLicense();
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "3" }]);
		expect((await usage(arn)).Seats).toBe("5");

		const first = await checkIn(a.LicenseConsumptionToken as string);
		expect(first.$metadata.httpStatusCode).toBe(200);
		expect((await usage(arn)).Seats).toBe("3");
		const before = await usageText(arn);
		const second = await call("CheckInLicense", {
			LicenseConsumptionToken: a.LicenseConsumptionToken,
		});
		expect(second.status, second.text).toBe(200);
		expect(second.text).toBe("{}");
		expect(await usageText(arn)).toBe(before);
	});

	it("after expiry, before the alarm ran: succeeds, changes nothing more than the expiry, usage right", async () => {
		const arn = await createLicense();
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		advanceClockForTests(30 * MINUTE);
		await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "3" }]); // expires 30 min after a
		advanceClockForTests(31 * MINUTE); // a expired, b live; no alarm run
		expect((await usage(arn)).Seats).toBe("5"); // nothing settled a yet

		await checkIn(a.LicenseConsumptionToken as string);
		expect((await usage(arn)).Seats).toBe("3");
		// The alarm that now runs must not release a a second time.
		await runAlarm(arn);
		expect((await usage(arn)).Seats).toBe("3");
		await checkIn(a.LicenseConsumptionToken as string);
		expect((await usage(arn)).Seats).toBe("3");
	});

	it("after expiry, with the alarm run first: succeeds and changes nothing", async () => {
		const arn = await createLicense();
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		advanceClockForTests(30 * MINUTE);
		await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "3" }]);
		advanceClockForTests(31 * MINUTE);
		expect(await runAlarm(arn)).toBe(true);
		expect((await usage(arn)).Seats).toBe("3");

		const before = await usageText(arn);
		const res = await call("CheckInLicense", {
			LicenseConsumptionToken: a.LicenseConsumptionToken,
		});
		expect(res.status, res.text).toBe(200);
		expect(res.text).toBe("{}");
		expect(await usageText(arn)).toBe(before);
	});

	it("AllowEarlyCheckIn false → ValidationException naming the rule, usage unchanged", async () => {
		const arn = await createLicense({
			ConsumptionConfiguration: {
				RenewType: "None",
				BorrowConfiguration: { AllowEarlyCheckIn: false, MaxTimeToLiveInMinutes: 60 },
			},
		});
		const a = await borrow(arn);
		const before = await usageText(arn);
		await expectSdkError(
			checkIn(a.LicenseConsumptionToken as string),
			"ValidationException",
			/AllowEarlyCheckIn/,
		);
		expect(await usageText(arn)).toBe(before);
		expect((await usage(arn)).Seats).toBe("2");
		// It still returns by itself at Expiration.
		advanceClockForTests(HOUR);
		await runAlarm(arn);
		expect((await usage(arn)).Seats).toBe("0");
		// A check-in after expiry is the no-op it always is, even here.
		const res = await call("CheckInLicense", {
			LicenseConsumptionToken: a.LicenseConsumptionToken,
		});
		expect(res.status, res.text).toBe(200);
		expect((await usage(arn)).Seats).toBe("0");
	});

	it("an entitlement with AllowCheckIn false in the borrow → ValidationException naming it; absent or true = allowed", async () => {
		const arn = await createLicense({
			Entitlements: [
				{ Name: "Seats", Unit: "Count", MaxCount: 7 },
				{ Name: "Dongle", Unit: "Count", MaxCount: 2, AllowCheckIn: false },
				{ Name: "Cores", Unit: "Count", MaxCount: 64, AllowCheckIn: true },
			],
		});
		const locked = await borrow(arn, [
			{ Name: "Seats", Unit: "Count", Value: "1" },
			{ Name: "Dongle", Unit: "Count", Value: "1" },
		]);
		const free = await borrow(arn, [
			{ Name: "Seats", Unit: "Count", Value: "2" },
			{ Name: "Cores", Unit: "Count", Value: "8" },
		]);
		expect(await usage(arn)).toEqual({ Seats: "3", Dongle: "1", Cores: "8" });

		await expectSdkError(
			checkIn(locked.LicenseConsumptionToken as string),
			"ValidationException",
			/'Dongle'.*AllowCheckIn/,
		);
		expect(await usage(arn)).toEqual({ Seats: "3", Dongle: "1", Cores: "8" });

		await checkIn(free.LicenseConsumptionToken as string);
		expect(await usage(arn)).toEqual({ Seats: "1", Dongle: "1", Cores: "0" });
	});

	it("an unknown or garbage token → ResourceNotFoundException", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		const token = a.LicenseConsumptionToken as string;
		expect(token).toMatch(/^[0-9a-f]{64}$/);
		// Same license, another random half.
		const sibling = `${token.slice(0, 32)}${"0".repeat(32)}`;
		await expectSdkError(checkIn(sibling), "ResourceNotFoundException");
		// A well-formed token of a license that does not exist.
		await expectSdkError(checkIn("f".repeat(64)), "ResourceNotFoundException");
		for (const garbage of ["garbage", "x".repeat(64), `${token}00`, token.toUpperCase()]) {
			expectAwsError(
				await call("CheckInLicense", { LicenseConsumptionToken: garbage }),
				"ResourceNotFoundException",
			);
		}
		expect((await usage(arn)).Seats).toBe("2");
	});

	it("Beneficiary: the borrow's account or the license's Beneficiary → OK; anything else → ValidationException", async () => {
		const arn = await createLicense({ Beneficiary: "My Beneficiary" });
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "1" }]);
		const b = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		const c = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "4" }]);
		expect((await usage(arn)).Seats).toBe("7");

		const before = await usageText(arn);
		for (const other of ["444455556666", "Someone Else", "my beneficiary"]) {
			await expectSdkError(
				checkIn(c.LicenseConsumptionToken as string, other),
				"ValidationException",
				/Beneficiary/,
			);
		}
		expect(await usageText(arn)).toBe(before);

		await checkIn(a.LicenseConsumptionToken as string, "111122223333");
		expect((await usage(arn)).Seats).toBe("6");
		await checkIn(b.LicenseConsumptionToken as string, "My Beneficiary");
		expect((await usage(arn)).Seats).toBe("4");
	});

	it("a borrow of a DEACTIVATED license still checks in", async () => {
		const arn = await createLicense();
		const a = await borrow(arn);
		await client.send(
			new CreateLicenseVersionCommand(await versionInput(arn, { Status: "DEACTIVATED" })),
		);
		await checkIn(a.LicenseConsumptionToken as string);
		expect((await usage(arn)).Seats).toBe("0");
	});
});

describe("CheckInLicense and ExtendLicenseConsumption under concurrency", () => {
	it("10 concurrent check-ins of one token all succeed and release it exactly once", async () => {
		const arn = await createLicense();
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "3" }]);
		const token = a.LicenseConsumptionToken as string;
		const replies = await Promise.all(
			Array.from({ length: 10 }, () => call("CheckInLicense", { LicenseConsumptionToken: token })),
		);
		for (const r of replies) {
			expect(r.status, r.text).toBe(200);
			expect(r.text).toBe("{}");
		}
		expect((await usage(arn)).Seats).toBe("3");
	});

	it("10 concurrent check-ins of one expired token (no alarm yet) release it exactly once", async () => {
		const arn = await createLicense();
		const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
		advanceClockForTests(HOUR + 1000);
		await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "3" }]);
		const token = a.LicenseConsumptionToken as string;
		const replies = await Promise.all([
			...Array.from({ length: 10 }, () =>
				call("CheckInLicense", { LicenseConsumptionToken: token }),
			),
			runAlarm(arn),
		]);
		for (const r of replies.slice(0, 10)) expect((r as { status: number }).status).toBe(200);
		expect((await usage(arn)).Seats).toBe("3");
	});

	it("extend racing the expiry alarm: usage never negative, consistent with the borrow's final status", async () => {
		for (let round = 0; round < 3; round++) {
			const arn = await createLicense(licenseInput());
			const a = await borrow(arn, [{ Name: "Seats", Unit: "Count", Value: "2" }]);
			advanceClockForTests(HOUR + 1000);
			const [extend] = await Promise.all([
				call("ExtendLicenseConsumption", { LicenseConsumptionToken: a.LicenseConsumptionToken }),
				runAlarm(arn),
			]);
			await runAlarm(arn);
			const seats = Number((await usage(arn)).Seats);
			expect(seats).toBeGreaterThanOrEqual(0);
			if (extend.status === 200) {
				// Extended and held.
				expect(seats).toBe(2);
			} else {
				// Expired and released; the extend said why.
				expectAwsError(extend, "ValidationException", /expired/);
				expect(seats).toBe(0);
				// And a check-in afterwards is the no-op it should be.
				const res = await call("CheckInLicense", {
					LicenseConsumptionToken: a.LicenseConsumptionToken,
				});
				expect(res.status, res.text).toBe(200);
				expect((await usage(arn)).Seats).toBe("0");
			}
		}
	});
});
