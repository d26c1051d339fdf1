import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { advanceClockForTests, setClockOffsetForTests } from "../../src/clock";
import type { Env } from "../../src/env";
import app from "../../src/index";
import { expectAlarmRan, expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense } from "../helpers/fixtures";
import { ISSUER } from "../helpers/principals";
import { stubOf, withTableParked } from "../helpers/storage";
import { call, checkoutCall, ENDPOINT, signedRequest, workerFetch } from "../helpers/wire";

/**
 * SPEC §12: one JSON line per API request — requestId, operation, account,
 * accessKeyId, licenseArn, outcome, ms — and JSON events for outbox retries and
 * alarm failures; never a secret, a signature, a consumption token, a signed token
 * or a request body, on success and on every error path.
 */

interface Captured {
	lines: string[];
	spies: MockInstance[];
}

let captured: Captured;

beforeEach(() => {
	const lines: string[] = [];
	const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
		vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
			lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
		}),
	);
	captured = { lines, spies };
});

afterEach(() => {
	vi.restoreAllMocks();
	setClockOffsetForTests(0);
});

/** Every captured line, each of which must be one JSON object. */
function events(): Record<string, unknown>[] {
	return captured.lines.map((line) => {
		const parsed: unknown = JSON.parse(line);
		expect(typeof parsed).toBe("object");
		return parsed as Record<string, unknown>;
	});
}

function requestLines(): Record<string, unknown>[] {
	return events().filter((e) => e.type === "request");
}

/** The one request line for `requestId`, with its timing checked and removed. */
function lineFor(requestId: string | null): Record<string, unknown> {
	const lines = requestLines().filter((e) => e.requestId === requestId);
	expect(lines).toHaveLength(1);
	const { ms, ...rest } = lines[0] as Record<string, unknown>;
	expect(typeof ms).toBe("number");
	expect(ms as number).toBeGreaterThanOrEqual(0);
	return rest;
}

/** None of `secrets` occurs anywhere in what was logged. */
function expectNoneLogged(secrets: string[]): void {
	const all = captured.lines.join("\n");
	for (const secret of secrets) {
		expect(secret.length).toBeGreaterThan(8);
		expect(all.includes(secret), `logged: ${secret.slice(0, 24)}…`).toBe(false);
	}
}

/** The SigV4 signature a request carries. */
function signatureOf(request: Request): string {
	return /Signature=([0-9a-f]{64})/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
}

describe("request log lines", () => {
	it("a checkout, check-in and extend: one line each, with no token, signature, secret or body in any line", async () => {
		const arn = await createLicense({
			ConsumptionConfiguration: {
				RenewType: "None",
				BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
			},
		});
		captured.lines.length = 0;

		const nodeMarker = "node-marker-7f3a9c1e";
		const metaMarker = "metadata-marker-5b2d8e4f";
		const body = JSON.stringify(
			checkoutBody(arn, {
				NodeId: nodeMarker,
				CheckoutMetadata: [{ Name: "Host", Value: metaMarker }],
			}),
		);
		const request = await signedRequest("CheckoutBorrowLicense", body);
		const signature = signatureOf(request);
		const res = await workerFetch(request);
		expect(res.status).toBe(200);
		const out = (await res.json()) as Record<string, string>;
		const requestId = res.headers.get("x-amzn-RequestId");
		expect(lineFor(requestId)).toEqual({
			type: "request",
			requestId,
			operation: "CheckoutBorrowLicense",
			account: "111122223333",
			accessKeyId: ISSUER.accessKeyId,
			licenseArn: arn,
			outcome: "ok",
			replay: false,
		});

		// The same request again (same ClientToken, signed anew): answered from the
		// stored response, and its line says so.
		const again = await workerFetch(await signedRequest("CheckoutBorrowLicense", body));
		expect(await again.text()).toBe(JSON.stringify(out));
		expect(lineFor(again.headers.get("x-amzn-RequestId"))).toMatchObject({
			operation: "CheckoutBorrowLicense",
			outcome: "ok",
			replay: true,
		});

		const token = out.LicenseConsumptionToken as string;
		const extend = await call("ExtendLicenseConsumption", { LicenseConsumptionToken: token });
		expectOk(extend);
		expect(lineFor(extend.headers.get("x-amzn-RequestId"))).toMatchObject({
			operation: "ExtendLicenseConsumption",
			outcome: "ok",
		});
		const checkIn = await call("CheckInLicense", { LicenseConsumptionToken: token });
		expectOk(checkIn);
		expect(lineFor(checkIn.headers.get("x-amzn-RequestId"))).toMatchObject({
			operation: "CheckInLicense",
			outcome: "ok",
		});
		// A check-in of a token that does not exist: its error line holds no token either.
		const missing = `${token.slice(0, 32)}${"0".repeat(32)}`;
		const refused = await call("CheckInLicense", { LicenseConsumptionToken: missing });
		expect(refused.status).toBeGreaterThanOrEqual(400);
		expect(lineFor(refused.headers.get("x-amzn-RequestId")).outcome).toBe(
			refused.headers.get("x-amzn-ErrorType"),
		);

		expect(requestLines()).toHaveLength(5);
		expectNoneLogged([
			token,
			missing,
			out.SignedToken as string,
			(out.SignedToken as string).split(".")[2] as string,
			signature,
			ISSUER.secretAccessKey,
			body,
			nodeMarker,
			metaMarker,
			String(env.PRINCIPAL_SECRET_KEY),
		]);
	});

	it("error paths: bad signature, bad input, unknown target, malformed JSON — each one line naming its outcome", async () => {
		const arn = await createLicense();
		captured.lines.length = 0;

		// A signature that does not match: the claimed key id is logged, no account.
		const forged = await signedRequest("GetLicense", JSON.stringify({ LicenseArn: arn }), {
			...ISSUER,
			secretAccessKey: "wrong-secret-wrong-secret-wrong-secret00",
		});
		const forgedSignature = signatureOf(forged);
		const bad = await workerFetch(forged);
		expect(bad.status).toBeGreaterThanOrEqual(400);
		expect(lineFor(bad.headers.get("x-amzn-RequestId"))).toEqual({
			type: "request",
			requestId: bad.headers.get("x-amzn-RequestId"),
			operation: "GetLicense",
			account: null,
			accessKeyId: ISSUER.accessKeyId,
			outcome: bad.headers.get("x-amzn-ErrorType"),
		});
		expect(bad.headers.get("x-amzn-ErrorType")).toMatch(/Signature|AccessDenied|Unrecognized/);

		// Invalid input after authentication: account known, outcome the validation error.
		const invalid = await call("CheckoutBorrowLicense", checkoutBody(arn, { ClientToken: "" }));
		expectAwsError(invalid, "ValidationException");
		expect(lineFor(invalid.headers.get("x-amzn-RequestId"))).toEqual({
			type: "request",
			requestId: invalid.headers.get("x-amzn-RequestId"),
			operation: "CheckoutBorrowLicense",
			account: "111122223333",
			accessKeyId: ISSUER.accessKeyId,
			licenseArn: arn,
			outcome: "ValidationException",
		});

		// A LicenseArn that only the AWS pattern admits is not copied into the log.
		const smuggled = `arn:aws:license-manager::111122223333:license:l-${"ab".repeat(40)}`;
		const foreign = await call("GetLicense", { LicenseArn: smuggled });
		expect(foreign.status).toBeGreaterThanOrEqual(400);
		const foreignLine = lineFor(foreign.headers.get("x-amzn-RequestId"));
		expect(foreignLine.licenseArn).toBeUndefined();
		expect(foreignLine.outcome).toBe(foreign.headers.get("x-amzn-ErrorType"));

		// An unknown target: no operation, no account.
		const unknown = await workerFetch(`${ENDPOINT}/`, {
			method: "POST",
			headers: { "x-amz-target": "AWSLicenseManager.NoSuchThing" },
			body: "{}",
		});
		expect(lineFor(unknown.headers.get("x-amzn-RequestId"))).toEqual({
			type: "request",
			requestId: unknown.headers.get("x-amzn-RequestId"),
			operation: null,
			account: null,
			accessKeyId: null,
			outcome: "UnknownOperationException",
		});

		// A body that is not JSON: the body's text is not logged.
		const junk = "not-json-body-marker-91c2e7";
		const serial = await call("GetLicense", junk);
		expectAwsError(serial, "SerializationException");
		expect(lineFor(serial.headers.get("x-amzn-RequestId")).outcome).toBe("SerializationException");

		expect(requestLines()).toHaveLength(5);
		expectNoneLogged([forgedSignature, junk, smuggled, ISSUER.secretAccessKey]);
	});

	it("a 5xx: the request line says ServerInternalException, the error event names the request", async () => {
		// A D1 that fails in a way no AWS error describes (its message carries a marker).
		const failing = {
			prepare() {
				throw new Error("d1 down: not-a-key-value-7d1e");
			},
			batch() {
				throw new Error("d1 down: not-a-key-value-7d1e");
			},
		};
		const broken = { ...env, DB: failing } as unknown as Env;
		const request = await signedRequest("ListLicenses", "{}");
		const res = await app.fetch(request, broken);
		const requestId = res.headers.get("x-amzn-RequestId");
		expect(res.status).toBe(500);
		expect(res.headers.get("x-amzn-ErrorType")).toBe("ServerInternalException");
		expect(lineFor(requestId)).toMatchObject({
			operation: "ListLicenses",
			outcome: "ServerInternalException",
		});
		const failure = events().find((e) => e.type === "request_failed");
		expect(failure).toMatchObject({ type: "request_failed", requestId });
		expectNoneLogged([signatureOf(request), ISSUER.secretAccessKey]);
	});

	it("requests other than POST / (keys, health, console) write no request line", async () => {
		await workerFetch(`${ENDPOINT}/.well-known/jwks.json`);
		await workerFetch(`${ENDPOINT}/health`);
		expect(requestLines()).toEqual([]);
	});
});

describe("background events", () => {
	it("an outbox retry is one JSON event with its attempt count, and names no token", async () => {
		setClockOffsetForTests(10 * 60_000);
		const arn = await createLicense();
		let token = "";
		await withTableParked("checkouts", async () => {
			const res = await checkoutCall(checkoutBody(arn));
			expect(res.status).toBe(200);
			token = res.json.LicenseConsumptionToken as string;
			captured.lines.length = 0;
			for (let attempt = 1; attempt <= 3; attempt++) {
				advanceClockForTests(5 * 60_000 + 1000);
				await expectAlarmRan(arn);
			}
		});
		const retries = events().filter((e) => e.type === "outbox_retry");
		expect(retries.map((e) => e.attempt)).toEqual([1, 2, 3]);
		for (const e of retries) {
			expect(e).toMatchObject({ type: "outbox_retry", rows: 1 });
			expect(e.retryInMs as number).toBeGreaterThan(0);
			expect(typeof e.error).toBe("string");
		}
		expectNoneLogged([token]);
	});

	it("a failing alarm run is one JSON event counting the failures in a row; a good run resets it", async () => {
		setClockOffsetForTests(10 * 60_000);
		const arn = await createLicense();
		expectOk(await checkoutCall(checkoutBody(arn)));
		// The alarm's expiry step fails (as a storage fault would); the alarm catches it,
		// logs it and sets itself again.
		let failing = true;
		await runInDurableObject(stubOf(arn), (instance) => {
			const ledger = (instance as unknown as { ledger: { expireDue: (now: number) => void } })
				.ledger;
			const expireDue = ledger.expireDue.bind(ledger);
			ledger.expireDue = (now) => {
				if (failing) throw new Error("storage fault in the alarm");
				expireDue(now);
			};
		});
		captured.lines.length = 0;
		await expectAlarmRan(arn);
		await expectAlarmRan(arn);
		failing = false;
		await expectAlarmRan(arn);
		failing = true;
		await expectAlarmRan(arn);
		const failures = events().filter((e) => e.type === "alarm_failed");
		expect(failures).toEqual([
			{ type: "alarm_failed", attempt: 1, error: "Error: storage fault in the alarm" },
			{ type: "alarm_failed", attempt: 2, error: "Error: storage fault in the alarm" },
			{ type: "alarm_failed", attempt: 1, error: "Error: storage fault in the alarm" },
		]);
	});
});
