import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clock, setClockOffsetForTests } from "../../src/clock";
import type { Env } from "../../src/env";
import app from "../../src/index";
import { expectAwsError, expectOk, UUID } from "../helpers/expectations";
import { licenseInput } from "../helpers/fixtures";
import { d1Rows } from "../helpers/storage";
import { call, ENDPOINT, workerFetch } from "../helpers/wire";

/**
 * One middleware (src/protocol/responseHeaders.ts) stamps x-amzn-RequestId and Date
 * on every response: a success, an AWS error, an unknown path or target, a 5xx.
 * The id is the one the request was handled under; the Date is the service clock's.
 */

const DAY = 86_400_000;

afterEach(() => vi.restoreAllMocks());

/** The response's id and Date, checked for shape and against the service clock around the call. */
async function stamped(send: () => Promise<{ headers: Headers }>): Promise<string> {
	const before = Math.floor(clock.now() / 1000) * 1000;
	const res = await send();
	const after = clock.now();
	const requestId = res.headers.get("x-amzn-RequestId") ?? "";
	expect(requestId).toMatch(UUID);
	const date = res.headers.get("Date") ?? "";
	expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
	expect(Date.parse(date)).toBeGreaterThanOrEqual(before);
	expect(Date.parse(date)).toBeLessThanOrEqual(after);
	return requestId;
}

describe("x-amzn-RequestId and Date", () => {
	it("on a success: the id is the one the operation recorded", async () => {
		let reply: Awaited<ReturnType<typeof call>> | undefined;
		const id = await stamped(async () => {
			reply = await call("CreateLicense", licenseInput());
			return reply;
		});
		const arn = expectOk(reply as NonNullable<typeof reply>).LicenseArn as string;
		expect(
			await d1Rows(
				"SELECT request_id FROM audit_events WHERE resource_arn = ? AND operation = 'CreateLicense'",
				arn,
			),
		).toEqual([{ request_id: id }]);
	});

	it("on an AWS error, each request its own id", async () => {
		const replies: Awaited<ReturnType<typeof call>>[] = [];
		const ids = [];
		for (let i = 0; i < 2; i++) {
			ids.push(
				await stamped(async () => {
					const r = await call("GetLicense", {});
					replies.push(r);
					return r;
				}),
			);
		}
		for (const r of replies) expectAwsError(r, "ValidationException");
		expect(ids[0]).not.toBe(ids[1]);
	});

	it("on an unknown path and an unknown target, from the service clock", async () => {
		setClockOffsetForTests(400 * DAY);
		const notFound = await workerFetch(`${ENDPOINT}/no/such/path`);
		await stamped(async () => notFound);
		// Unknown paths answer as AWS does an unknown operation: 400, AWS-shaped.
		expect(notFound.status).toBe(400);
		expect(await notFound.json()).toEqual({
			__type: "UnknownOperationException",
			message: "No operation at GET /no/such/path.",
			Message: "No operation at GET /no/such/path.",
		});
		const unknownTarget = () =>
			workerFetch(`${ENDPOINT}/`, {
				method: "POST",
				headers: { "X-Amz-Target": "AWSLicenseManager.NoSuchOperation" },
				body: "{}",
			});
		const res = await unknownTarget();
		await stamped(async () => res);
		expect(res.headers.get("x-amzn-ErrorType")).toBe("UnknownOperationException");
		// The clock was 400 days ahead: the Date is the service's, not the wall clock's.
		expect(Date.parse(res.headers.get("Date") ?? "")).toBeGreaterThan(Date.now() + 399 * DAY);
	});

	it("on a 5xx from an unexpected throw: the id is the one the log names", async () => {
		const logged: string[] = [];
		vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
			logged.push(args.map(String).join(" "));
		});
		const broken = { ...env, SIGNING_PRIVATE_KEYS: "{not json" } as Env;
		let res: Response | undefined;
		const id = await stamped(async () => {
			res = await app.fetch(new Request(`${ENDPOINT}/.well-known/jwks.json`), broken);
			return res;
		});
		expect(res?.status).toBe(500);
		expect(await res?.json()).toEqual({
			__type: "ServerInternalException",
			message: "The server experienced an internal error. Try again.",
			Message: "The server experienced an internal error. Try again.",
		});
		const events = logged.map((line) => JSON.parse(line) as Record<string, unknown>);
		expect(events.some((e) => e.type === "request_failed" && e.requestId === id)).toBe(true);
	});
});
