import { expect } from "vitest";
import { runAlarm } from "./storage";
import { call, JSON_11, type Reply, usageText } from "./wire";

/** What a reply must look like: AWS errors and successes exactly, SDK rejections, refusals that change nothing. */

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * An AWS JSON 1.1 error, exactly: status 400 (500 only for ServerInternalException),
 * a body of `__type`, `message` and `Message` (one value), and the headers clients read.
 */
export function expectAwsError(res: Reply, type: string, message?: string | RegExp): string {
	expect(res.status, res.text).toBe(type === "ServerInternalException" ? 500 : 400);
	expect(res.json.__type, res.text).toBe(type);
	const extra = type === "RedirectException" ? ["Location"] : [];
	const keys = Object.keys(res.json).filter((k) => !extra.includes(k));
	expect(keys.sort()).toEqual(["Message", "__type", "message"]);
	expect(typeof res.json.message).toBe("string");
	expect(res.json.Message).toBe(res.json.message);
	expect(res.headers.get("x-amzn-ErrorType")).toBe(type);
	expect(res.headers.get("x-amzn-RequestId")).toMatch(UUID);
	expect(Number.isNaN(Date.parse(res.headers.get("Date") ?? ""))).toBe(false);
	expect(res.headers.get("Content-Type")).toBe(JSON_11);
	const text = res.json.message as string;
	if (typeof message === "string") expect(text).toBe(message);
	else if (message) expect(text).toMatch(message);
	return text;
}

export function expectOk(res: Reply): Record<string, unknown> {
	expect(res.status, res.text).toBe(200);
	expect(res.headers.get("Content-Type")).toBe(JSON_11);
	expect(res.headers.get("x-amzn-RequestId")).toMatch(UUID);
	return res.json;
}

/** The SDK rejected with `name` (a 400 from the service) and, if given, a matching message. */
export async function expectSdkError(
	promise: Promise<unknown>,
	name: string,
	message?: RegExp,
): Promise<Error> {
	let error: unknown;
	try {
		await promise;
	} catch (err) {
		error = err;
	}
	expect(error, `expected ${name}`).toBeInstanceOf(Error);
	const e = error as Error & { $metadata?: { httpStatusCode?: number } };
	expect(e.name, e.message).toBe(name);
	expect(e.$metadata?.httpStatusCode).toBe(400);
	if (message) expect(e.message).toMatch(message);
	return e;
}

/** A bad checkout: the expected error, and the license's usage unchanged. */
export async function expectRefusedCheckout(
	arn: string,
	body: unknown,
	type: string,
	message?: string | RegExp,
): Promise<string> {
	const before = await usageText(arn);
	const text = expectAwsError(await call("CheckoutBorrowLicense", body), type, message);
	expect(await usageText(arn)).toBe(before);
	return text;
}

/** Runs the license's alarm, which must have been scheduled and must not throw (a throwing alarm is retried only a few times). */
export async function expectAlarmRan(arn: string): Promise<void> {
	await expect(runAlarm(arn)).resolves.toBe(true);
}
