import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { AUTH_FAILURE_BLOCK_MS } from "../../src/auth/failureLimit";
import {
	clearPrincipalCacheForTests,
	lookupPrincipal,
	PRINCIPAL_CACHE_MS,
	principalCacheSizesForTests,
	UNKNOWN_KEY_CACHE_MAX,
} from "../../src/auth/principals";
import { advanceClockForTests, clock } from "../../src/clock";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { createLicense } from "../helpers/fixtures";
import { freshPrincipal, ISSUER, putPrincipal, type TestPrincipal } from "../helpers/principals";
import { ENDPOINT, type Reply, readReply, signedRequest } from "../helpers/wire";

/**
 * SPEC §11: requests that do not authenticate must not reach D1 at will, and fake
 * access key ids must not push real principals out of the cache. The Worker is
 * called with an env whose DB counts the statements prepared on it.
 */

/** vitest.config.ts: AUTH_FAILURE_LIMITER allows 10 failures per 60 s window and address. */
const FAILURE_LIMIT = 10;
/**
 * Principal reads a stream of failures from one address may cost: the binding
 * allows FAILURE_LIMIT per window and the failure over it (which has made its
 * read) blocks the address; a run straddling the wall clock's window boundary
 * may spend one window's allowance twice.
 */
const MAX_READS_PER_ADDRESS = 2 * FAILURE_LIMIT + 1;
const INVALID_TOKEN = "The security token included in the request is invalid.";

let arn: string;
beforeAll(async () => {
	arn = await createLicense();
});

/** A D1 binding that counts statements, and principal lookups among them. */
function countingEnv(): { env: Env; reads: { all: number; principals: number } } {
	const reads = { all: 0, principals: 0 };
	const db = new Proxy(env.DB, {
		get(target, property) {
			if (property === "prepare") {
				return (sql: string) => {
					reads.all++;
					if (/\bFROM principals\b/.test(sql)) reads.principals++;
					return target.prepare(sql);
				};
			}
			const value = Reflect.get(target, property, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	return { env: { ...env, DB: db }, reads };
}

/** A client address no other test uses (the binding's buckets outlive a test file). */
function freshAddress(): string {
	const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
	return `10.${a}.${b}.${c}`;
}

function randomHex(bytes: number): string {
	return [...crypto.getRandomValues(new Uint8Array(bytes))]
		.map((b) => b.toString(16).padStart(2, "0"))
		.join("");
}

/** A well-formed id nobody has: 20 characters of [A-Z0-9]. */
function fakeKeyId(): string {
	return `FAKE${randomHex(8).toUpperCase()}`;
}

/** Everything a real SDK sends, a fresh date, and a junk signature over it. */
function junkSigned(accessKeyId: string, address?: string): Request {
	const amzDate = new Date(clock.now()).toISOString().replace(/[-:]|\.\d{3}/g, "");
	const headers = new Headers({
		host: new URL(ENDPOINT).hostname,
		"content-type": "application/x-amz-json-1.1",
		"x-amz-target": "AWSLicenseManager.GetLicenseUsage",
		"x-amz-date": amzDate,
		authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/license-manager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${randomHex(32)}`,
	});
	if (address) headers.set("cf-connecting-ip", address);
	return new Request(`${ENDPOINT}/`, {
		method: "POST",
		headers,
		body: JSON.stringify({ LicenseArn: arn }),
	});
}

/** A correctly signed GetLicenseUsage from `address`. */
async function goodRequest(principal: TestPrincipal = ISSUER, address?: string): Promise<Request> {
	const body = JSON.stringify({ LicenseArn: arn });
	const signed = await signedRequest("GetLicenseUsage", body, principal);
	const headers = new Headers(signed.headers);
	if (address) headers.set("cf-connecting-ip", address);
	return new Request(signed.url, { method: "POST", headers, body });
}

async function send(request: Request, withEnv: Env): Promise<Reply> {
	return readReply(await worker.fetch(request, withEnv));
}

/** Sends fake-id requests from `address` until it is refused as blocked; returns that refusal. */
async function failUntilBlocked(address: string, withEnv: Env): Promise<Reply> {
	for (let i = 0; i < MAX_READS_PER_ADDRESS + 1; i++) {
		const res = await send(junkSigned(fakeKeyId(), address), withEnv);
		if (res.json.__type === "RateLimitExceededException") return res;
		expectAwsError(res, "UnrecognizedClientException", INVALID_TOKEN);
	}
	throw new Error("the address was never blocked");
}

function expectBlocked(res: Reply): void {
	expectAwsError(
		res,
		"RateLimitExceededException",
		"Too many failed authentication attempts from this address; try again later.",
	);
	const retryAfter = Number(res.headers.get("Retry-After"));
	expect(Number.isInteger(retryAfter)).toBe(true);
	expect(retryAfter).toBeGreaterThan(0);
	expect(retryAfter).toBeLessThanOrEqual(AUTH_FAILURE_BLOCK_MS / 1000);
}

describe("access key ids that cannot be ours", () => {
	it("are refused with UnrecognizedClientException and no D1 read", async () => {
		clearPrincipalCacheForTests();
		const { env: counted, reads } = countingEnv();
		const malformed = [
			"akidlocaldev0000001", // lower case
			"AKIDLOCALDEV001", // 15 characters
			"A".repeat(129),
			"AKID-LOCAL-DEV-0001",
			"AKIDLOCALDEV_000001",
			"AKIDLOCALDEV0000001 ",
		];
		for (const id of malformed) {
			const res = await send(junkSigned(id), counted);
			expectAwsError(res, "UnrecognizedClientException", INVALID_TOKEN);
		}
		expect(reads.all).toBe(0);
		expect(principalCacheSizesForTests().unknown).toBe(0);
	});
});

describe("failed authentications per client address", () => {
	it("200 fake ids with junk signatures from one address cost at most 2 × limit + 1 reads", async () => {
		const { env: counted, reads } = countingEnv();
		const address = freshAddress();
		const answers = new Map<string, number>();
		let firstBlocked: Reply | undefined;
		for (let i = 0; i < 200; i++) {
			const res = await send(junkSigned(fakeKeyId(), address), counted);
			const type = res.json.__type as string;
			answers.set(type, (answers.get(type) ?? 0) + 1);
			if (type === "RateLimitExceededException") firstBlocked ??= res;
			else expectAwsError(res, "UnrecognizedClientException", INVALID_TOKEN);
		}
		if (!firstBlocked) throw new Error("never blocked");
		expectBlocked(firstBlocked);
		expect(reads.principals).toBeGreaterThanOrEqual(FAILURE_LIMIT + 1);
		expect(reads.principals).toBeLessThanOrEqual(MAX_READS_PER_ADDRESS);
		expect(reads.all).toBe(reads.principals);
		expect(answers.get("UnrecognizedClientException")).toBe(reads.principals);
		expect(answers.get("RateLimitExceededException")).toBe(200 - reads.principals);
	});

	it("a spray of 10,000 distinct fake ids costs bounded reads and evicts no real principal", async () => {
		const { env: counted, reads } = countingEnv();
		clearPrincipalCacheForTests();
		// The issuer's key is looked up once, then held for PRINCIPAL_CACHE_MS.
		const cachedAt = clock.now();
		expectOk(await send(await goodRequest(ISSUER, freshAddress()), counted));
		expect(reads.principals).toBe(1);
		const attacker = freshAddress();
		for (let i = 0; i < 10_000; i++) await send(junkSigned(fakeKeyId(), attacker), counted);
		expect(reads.principals - 1).toBeLessThanOrEqual(MAX_READS_PER_ADDRESS);

		// Up to a second before the end of its TTL (counted from when it was read, the spray took time too).
		const before = reads.principals;
		advanceClockForTests(cachedAt + PRINCIPAL_CACHE_MS - 1000 - clock.now());
		expectOk(await send(await goodRequest(ISSUER, freshAddress()), counted));
		expect(reads.principals).toBe(before);
		// Past its TTL, it is read again: once.
		advanceClockForTests(2000);
		expectOk(await send(await goodRequest(ISSUER, freshAddress()), counted));
		expectOk(await send(await goodRequest(ISSUER, freshAddress()), counted));
		expect(reads.principals).toBe(before + 1);
	});

	it("an address over its budget keeps using keys already in memory, and nothing else", async () => {
		const { env: counted, reads } = countingEnv();
		clearPrincipalCacheForTests();
		const address = freshAddress();
		const cachedAt = clock.now();
		expectOk(await send(await goodRequest(ISSUER, address), counted));
		const notCached = freshPrincipal(ISSUER.accountId, "blocked");
		await putPrincipal(notCached);

		advanceClockForTests(30_000);
		expectBlocked(await failUntilBlocked(address, counted));
		const afterBlock = reads.principals;

		// The issuer's key is in memory: no lookup, served (a license server behind the attacker's NAT).
		expectOk(await send(await goodRequest(ISSUER, address), counted));
		// A valid key the isolate does not hold: refused without a lookup.
		expectBlocked(await send(await goodRequest(notCached, address), counted));
		// A known key with a wrong signature: refused as blocked, not told which part was wrong.
		expectBlocked(
			await send(await goodRequest({ ...ISSUER, secretAccessKey: "wrong" }, address), counted),
		);
		expect(reads.principals).toBe(afterBlock);

		// Past the issuer's cache TTL, still blocked (the block began 30 s after the read): refreshed with one read.
		advanceClockForTests(cachedAt + PRINCIPAL_CACHE_MS + 1000 - clock.now());
		expectOk(await send(await goodRequest(ISSUER, address), counted));
		expectOk(await send(await goodRequest(ISSUER, address), counted));
		expect(reads.principals).toBe(afterBlock + 1);

		// Another address is not affected by the block.
		expectOk(await send(await goodRequest(notCached, freshAddress()), counted));
		expect(reads.principals).toBe(afterBlock + 2);
	});

	it("the block ends after AUTH_FAILURE_BLOCK_MS", async () => {
		const { env: counted } = countingEnv();
		const address = freshAddress();
		const stranger = freshPrincipal(ISSUER.accountId, "later");
		await putPrincipal(stranger);
		expectBlocked(await failUntilBlocked(address, counted));
		expectBlocked(await send(await goodRequest(stranger, address), counted));
		advanceClockForTests(AUTH_FAILURE_BLOCK_MS);
		expectOk(await send(await goodRequest(stranger, address), counted));
	});

	it("requests that authenticate never count: 300 good ones after the budget is nearly spent", async () => {
		const { env: counted } = countingEnv();
		const address = freshAddress();
		const windowOf = () => Math.floor(Date.now() / 60_000);
		const startWindow = windowOf();
		for (let i = 0; i < FAILURE_LIMIT - 1; i++) {
			expectAwsError(
				await send(junkSigned(fakeKeyId(), address), counted),
				"UnrecognizedClientException",
			);
		}
		for (let i = 0; i < 300; i++) expectOk(await send(await goodRequest(ISSUER, address), counted));
		// The budget's last failure is still there, and the one after it blocks.
		expectAwsError(
			await send(junkSigned(fakeKeyId(), address), counted),
			"UnrecognizedClientException",
		);
		const more: string[] = [];
		for (let i = 0; i < FAILURE_LIMIT + 2; i++) {
			const res = await send(junkSigned(fakeKeyId(), address), counted);
			more.push(res.json.__type as string);
			if (res.json.__type === "RateLimitExceededException") break;
		}
		if (windowOf() === startWindow) {
			expect(more).toEqual(["UnrecognizedClientException", "RateLimitExceededException"]);
		} else {
			// The wall clock's window turned during the run: the budget started again.
			expect(more.at(-1)).toBe("RateLimitExceededException");
		}
	});

	it("counts an IPv6 address by its /64", async () => {
		const { env: counted } = countingEnv();
		const prefix = `2001:db8:${randomHex(2)}:${randomHex(2)}`;
		expectBlocked(await failUntilBlocked(`${prefix}::1`, counted));
		const res = await send(junkSigned(fakeKeyId(), `${prefix}:0:0:0:ffff`), counted);
		expectBlocked(res);
		// Another /64 has its own budget.
		expectAwsError(
			await send(junkSigned(fakeKeyId(), `2001:db8:${randomHex(2)}:${randomHex(2)}::1`), counted),
			"UnrecognizedClientException",
		);
	});

	it("requests without cf-connecting-ip (local development) are not limited by address", async () => {
		const { env: counted, reads } = countingEnv();
		for (let i = 0; i < 3 * FAILURE_LIMIT; i++) {
			expectAwsError(
				await send(junkSigned(fakeKeyId()), counted),
				"UnrecognizedClientException",
				INVALID_TOKEN,
			);
		}
		expect(reads.principals).toBe(3 * FAILURE_LIMIT);
	});

	it("a failing limiter binding leaves the refusal as it was (no 5xx)", async () => {
		const { env: counted } = countingEnv();
		const broken: Env = {
			...counted,
			AUTH_FAILURE_LIMITER: { limit: () => Promise.reject(new Error("binding down")) },
		};
		const logged = vi.spyOn(console, "error").mockImplementation(() => {});
		const address = freshAddress();
		const res = await send(junkSigned(fakeKeyId(), address), broken);
		expectAwsError(res, "UnrecognizedClientException", INVALID_TOKEN);
		expect(logged.mock.calls.flat().join(" ")).toBe(
			'{"type":"auth_failure_limiter_failed","counted":false}',
		);
		logged.mockRestore();
	});
});

describe("the caches", () => {
	it("10,000+ unknown ids stay in their own bounded cache; a known principal is not read again early", async () => {
		clearPrincipalCacheForTests();
		const { env: counted, reads } = countingEnv();
		expect(await lookupPrincipal(counted, ISSUER.accessKeyId)).not.toBeNull();
		expect(reads.principals).toBe(1);
		// A stand-in D1 that knows nobody: 10,000+ real reads would only slow the test.
		let fakeReads = 0;
		const nobody = {
			...counted,
			DB: {
				prepare: () => {
					fakeReads++;
					return { bind: () => ({ first: async () => null }) };
				},
			} as unknown as D1Database,
		};
		const spray = UNKNOWN_KEY_CACHE_MAX + 500;
		for (let i = 0; i < spray; i++) {
			expect(await lookupPrincipal(nobody, `SPRAY${String(i).padStart(15, "0")}`)).toBeNull();
		}
		expect(fakeReads).toBe(spray);
		expect(principalCacheSizesForTests()).toEqual({ known: 1, unknown: UNKNOWN_KEY_CACHE_MAX });
		// The issuer is still held: the stand-in D1, which would answer null, is not asked.
		expect((await lookupPrincipal(nobody, ISSUER.accessKeyId))?.accountId).toBe(ISSUER.accountId);
		expect(fakeReads).toBe(spray);
		// The most recent unknown ids are remembered (no read), the oldest were evicted.
		await lookupPrincipal(nobody, `SPRAY${String(spray - 1).padStart(15, "0")}`);
		expect(fakeReads).toBe(spray);
		await lookupPrincipal(nobody, `SPRAY${String(0).padStart(15, "0")}`);
		expect(fakeReads).toBe(spray + 1);
	});
});
