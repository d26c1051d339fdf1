import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advanceClockForTests } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { LicenseObject } from "../../src/license/object";
import { FixedWindowLimiter } from "../../src/license/rateLimit";
import { mintLicenseId, placementForRegion } from "../../src/licenseIds";
import { redirectIfForeign } from "../../src/operations/common";
import { createLicense as createLicenseOp } from "../../src/operations/createLicense";
import type { OperationContext } from "../../src/operations/types";
import { AwsError, renderError } from "../../src/protocol/errors";
import {
	checkoutBody,
	createLicense,
	expectAwsError,
	expectOk,
	usageText,
} from "../helpers/assertions";
import { freshPrincipal, licenseCount } from "../helpers/authRequests";
import { call } from "../helpers/client";
import { stubOf } from "../helpers/d1";
import { licenseInput, uniqueToken } from "../helpers/licenses";
import { ISSUER, putPrincipal } from "../helpers/principals";

/** SPEC §2/§4 rate limits, and §6 partitions, home regions and redirects. */

const STANDARD_LIMIT = 20; // vitest.config.ts: PRINCIPAL_LIMITER, 20 per 60 s
const epoch = () => Math.floor(Date.now() / 60_000);

describe("per-access-key limit", () => {
	it("throttles a standard-tier key past its limit, changing nothing; the bulk tier is unaffected", async () => {
		const arn = await createLicense();
		const key = freshPrincipal(ISSUER.accountId, "std");
		await putPrincipal(key, { rateTier: "standard" });

		// The binding's windows are aligned to the wall clock: a run may straddle one.
		const startEpoch = epoch();
		let allowed = 0;
		let refused: Awaited<ReturnType<typeof call>> | undefined;
		for (let i = 0; i < 2 * STANDARD_LIMIT + 1 && !refused; i++) {
			const res = await call("GetLicenseUsage", { LicenseArn: arn }, {}, key);
			if (res.status === 200) allowed++;
			else refused = res;
		}
		if (!refused) throw new Error("never throttled");
		expectAwsError(refused, "RateLimitExceededException");
		if (epoch() === startEpoch) expect(allowed).toBe(STANDARD_LIMIT);
		else expect(allowed).toBeLessThanOrEqual(2 * STANDARD_LIMIT);
		const retryAfter = Number(refused.headers.get("Retry-After"));
		expect(Number.isInteger(retryAfter) && retryAfter > 0).toBe(true);

		// A throttled checkout reserves nothing.
		const before = await usageText(arn);
		const body = checkoutBody(arn);
		const res = await call("CheckoutBorrowLicense", body, {}, key);
		if (res.status === 200) return; // a new window opened in between: nothing left to prove
		expectAwsError(res, "RateLimitExceededException");
		expect(res.headers.get("Retry-After")).not.toBeNull();
		expect(await usageText(arn)).toBe(before);

		// The bulk-tier issuer, same account, is not affected.
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		expectOk(await call("GetLicenseUsage", { LicenseArn: arn }));
	});
});

describe("per-license limit", () => {
	it("refuses the 4th checkout in a window, replays are free, and the next window is open", async () => {
		const arn = await createLicense();
		const stub = stubOf(arn);
		// A long window, so a slow machine cannot open the next one by itself.
		const windowMs = 60_000;
		await runInDurableObject(stub, (instance) => {
			LicenseObject.useLimiterForTests(instance, new FixedWindowLimiter(3, windowMs));
		});
		const granted: { body: Record<string, unknown>; text: string }[] = [];
		for (let i = 0; i < 3; i++) {
			const body = checkoutBody(arn);
			const res = await call("CheckoutBorrowLicense", body);
			expectOk(res);
			granted.push({ body, text: res.text });
		}
		const before = await usageText(arn);
		const fourth = await call("CheckoutBorrowLicense", checkoutBody(arn));
		expectAwsError(fourth, "RateLimitExceededException");
		const retryAfter = Number(fourth.headers.get("Retry-After"));
		expect(retryAfter).toBeGreaterThanOrEqual(1);
		expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);
		expect(await usageText(arn)).toBe(before);

		// A replay of a granted borrow answers its stored bytes, limit or not.
		for (const g of granted) {
			const replay = await call("CheckoutBorrowLicense", g.body);
			expect(replay.status, replay.text).toBe(200);
			expect(replay.text).toBe(g.text);
		}
		expect(await usageText(arn)).toBe(before);

		advanceClockForTests(windowMs);
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		expect(await usageText(arn)).not.toBe(before);
	});

	it("is per license: another license is not limited", async () => {
		const arn = await createLicense();
		await runInDurableObject(stubOf(arn), (instance) => {
			LicenseObject.useLimiterForTests(instance, new FixedWindowLimiter(1, 60_000));
		});
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(arn)));
		expectAwsError(
			await call("CheckoutBorrowLicense", checkoutBody(arn)),
			"RateLimitExceededException",
		);
		const other = await createLicense();
		expectOk(await call("CheckoutBorrowLicense", checkoutBody(other)));
	});
});

describe("partitions: RedirectException", () => {
	const foreign = (partition: string) =>
		`arn:${partition}:license-manager::111122223333:license:l-00${"a".repeat(30)}`;

	it("redirects ARNs of other partitions with 400, and no Location when none is configured", async () => {
		for (const partition of ["aws-cn", "aws-us-gov"]) {
			const arn = foreign(partition);
			for (const [op, body] of [
				["CheckoutBorrowLicense", checkoutBody(arn)],
				["GetLicense", { LicenseArn: arn }],
				["GetLicenseUsage", { LicenseArn: arn }],
			] as const) {
				const res = await call(op, body);
				expectAwsError(res, "RedirectException");
				expect(res.status).toBe(400);
				expect(res.headers.get("Location")).toBeNull();
				expect(res.json.Location).toBeUndefined();
			}
		}
	});

	it("redirectIfForeign carries the configured Location; renderError puts it in body and header", async () => {
		const config = { ...loadConfig(env), redirects: { "aws-cn": "https://lm.example.cn" } };
		expect(() => redirectIfForeign(config, foreign("aws"))).not.toThrow();
		let thrown: unknown;
		try {
			redirectIfForeign(config, foreign("aws-cn"));
		} catch (err) {
			thrown = err;
		}
		expect(thrown).toBeInstanceOf(AwsError);
		const err = thrown as AwsError;
		expect(err.type).toBe("RedirectException");
		expect(err.location).toBe("https://lm.example.cn");

		const res = renderError(err, "req-1");
		expect(res.status).toBe(400);
		expect(res.headers.get("Location")).toBe("https://lm.example.cn");
		expect(res.headers.get("x-amzn-ErrorType")).toBe("RedirectException");
		const body = (await res.json()) as Record<string, unknown>;
		expect(body).toMatchObject({ __type: "RedirectException", Location: "https://lm.example.cn" });

		// A partition with no configured deployment: still a redirect, without Location.
		try {
			redirectIfForeign(config, foreign("aws-us-gov"));
			throw new Error("not redirected");
		} catch (e) {
			expect((e as AwsError).type).toBe("RedirectException");
			expect((e as AwsError).location).toBeUndefined();
			expect(renderError(e, "req-2").headers.get("Location")).toBeNull();
		}
	});
});

describe("home regions", () => {
	const config = {
		...loadConfig(env),
		homeRegions: new Set(["us-east-1"]),
		redirects: { "eu-west-1": "https://eu.example" },
	};
	const ctx = (input: Record<string, unknown>): OperationContext => ({
		env,
		config,
		caller: { accountId: ISSUER.accountId, accessKeyId: ISSUER.accessKeyId, requestId: "r-1" },
		input,
	});

	async function refusedCreate(homeRegion: string): Promise<AwsError> {
		const clientToken = uniqueToken("home");
		const input = licenseInput({ HomeRegion: homeRegion, ClientToken: clientToken });
		const before = await licenseCount();
		const err = await createLicenseOp(ctx({ ...input })).then(
			() => new Error("created"),
			(e: unknown) => e,
		);
		expect(err).toBeInstanceOf(AwsError);
		expect(await licenseCount()).toBe(before);
		// The license it would have been does not exist.
		const id = await mintLicenseId(
			env,
			ISSUER.accountId,
			clientToken,
			placementForRegion(homeRegion, false),
		);
		const arn = `arn:aws:license-manager::${ISSUER.accountId}:license:${id}`;
		expectAwsError(await call("GetLicense", { LicenseArn: arn }), "ResourceNotFoundException");
		return err as AwsError;
	}

	it("redirects a CreateLicense for a region served elsewhere, with its Location", async () => {
		const err = await refusedCreate("eu-west-1");
		expect(err.type).toBe("RedirectException");
		expect(err.location).toBe("https://eu.example");
		const res = renderError(err, "r-1");
		expect(res.status).toBe(400);
		expect(res.headers.get("Location")).toBe("https://eu.example");
	});

	it("redirects without Location when no deployment is configured for the region", async () => {
		const err = await refusedCreate("ap-southeast-2");
		expect(err.type).toBe("RedirectException");
		expect(err.location).toBeUndefined();
	});

	it("creates a license in a served home region", async () => {
		const before = await licenseCount();
		const out = (await createLicenseOp(ctx({ ...licenseInput() }))) as string;
		const arn = (JSON.parse(out) as { LicenseArn: string }).LicenseArn;
		expect(await licenseCount()).toBe(before + 1);
		expectOk(await call("GetLicense", { LicenseArn: arn }));
	});

	it("the default (all regions) config creates in any region", async () => {
		expect(loadConfig(env).homeRegions).toBeNull();
		expect(loadConfig(env).partition).toBe("aws");
		const arn = await createLicense({ HomeRegion: "eu-west-1" });
		expectOk(await call("GetLicense", { LicenseArn: arn }));
	});
});
