import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advanceClockForTests, clock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { LicenseObject } from "../../src/license/object";
import { FixedWindowLimiter } from "../../src/license/rateLimit";
import { mintLicenseId, placementForRegion } from "../../src/licenseIds";
import { redirectIfForeign } from "../../src/operations/common";
import { createLicense as createLicenseOp } from "../../src/operations/createLicense";
import type { OperationContext } from "../../src/operations/types";
import { AwsError, renderError } from "../../src/protocol/errors";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput, uniqueToken } from "../helpers/fixtures";
import { freshPrincipal, ISSUER, putPrincipal } from "../helpers/principals";
import { licenseCount, stubOf } from "../helpers/storage";
import { callWithEnv } from "../helpers/vars";
import { call, usageText } from "../helpers/wire";

/** SPEC §2/§4 rate limits, and §6 partitions, home regions and redirects. */

const STANDARD_LIMIT = 20;
const WINDOW_MS = 60_000;

/**
 * Stands in for a Workers Rate Limiting binding (`env.PRINCIPAL_LIMITER*`): `limit`
 * calls per key per fixed window of the service's clock. The real binding counts in
 * wall-clock windows a test can neither see nor move, so a run could straddle one.
 */
class FakeRateLimit implements RateLimit {
	/** Every key asked about, in order. */
	readonly keys: string[] = [];
	private readonly windows = new Map<string, FixedWindowLimiter>();

	constructor(private readonly perWindow: number) {}

	async limit({ key }: RateLimitOptions): Promise<RateLimitOutcome> {
		this.keys.push(key);
		let window = this.windows.get(key);
		if (!window) {
			window = new FixedWindowLimiter(this.perWindow, WINDOW_MS);
			this.windows.set(key, window);
		}
		return { success: window.take(clock.now()) === null };
	}
}

/** A deployment whose two per-key limiters are fakes, and a standard-tier key. */
async function limitedDeployment() {
	const standard = new FakeRateLimit(STANDARD_LIMIT);
	const bulk = new FakeRateLimit(1_000_000);
	const key = freshPrincipal(ISSUER.accountId, "std");
	await putPrincipal(key, { rateTier: "standard" });
	const deployment: Env = { ...env, PRINCIPAL_LIMITER: standard, PRINCIPAL_LIMITER_BULK: bulk };
	return { standard, bulk, key, deployment };
}

describe("per-access-key limit", () => {
	it("throttles a standard-tier key past its limit, changing nothing; the bulk tier is unaffected", async () => {
		const arn = await createLicense();
		const { standard, bulk, key, deployment } = await limitedDeployment();
		const read = { LicenseArn: arn };

		for (let i = 0; i < STANDARD_LIMIT; i++) {
			expectOk(await callWithEnv(deployment, "GetLicenseUsage", read, key));
		}
		const refused = await callWithEnv(deployment, "GetLicenseUsage", read, key);
		expectAwsError(
			refused,
			"RateLimitExceededException",
			"Rate exceeded for this access key; slow down.",
		);
		expect(refused.headers.get("Retry-After")).toBe("60");

		// A throttled checkout reserves nothing.
		const before = await usageText(arn);
		const res = await callWithEnv(deployment, "CheckoutBorrowLicense", checkoutBody(arn), key);
		expectAwsError(res, "RateLimitExceededException");
		expect(res.headers.get("Retry-After")).toBe("60");
		expect(await usageText(arn)).toBe(before);

		// The bulk-tier issuer, same account, is not affected.
		expectOk(await callWithEnv(deployment, "CheckoutBorrowLicense", checkoutBody(arn)));
		expectOk(await callWithEnv(deployment, "GetLicenseUsage", read));

		// Each tier asks its own binding, keyed by the access key id.
		expect(standard.keys).toEqual(Array(STANDARD_LIMIT + 2).fill(key.accessKeyId));
		expect(bulk.keys).toEqual([ISSUER.accessKeyId, ISSUER.accessKeyId]);
	});

	it("lets the key through again once its window has passed", async () => {
		const arn = await createLicense();
		const { key, deployment } = await limitedDeployment();
		const read = { LicenseArn: arn };
		for (let i = 0; i < STANDARD_LIMIT; i++) {
			expectOk(await callWithEnv(deployment, "GetLicenseUsage", read, key));
		}
		expectAwsError(
			await callWithEnv(deployment, "GetLicenseUsage", read, key),
			"RateLimitExceededException",
		);
		advanceClockForTests(WINDOW_MS);
		expectOk(await callWithEnv(deployment, "GetLicenseUsage", read, key));
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
		log: {},
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
