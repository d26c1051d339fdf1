import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { expectOk } from "../helpers/expectations";
import { checkoutBody, licenseInput } from "../helpers/fixtures";
import {
	bodyOf,
	type FuzzRequest,
	type FuzzTargets,
	fuzzParameters,
	fuzzRequest,
	OPERATIONS,
} from "../helpers/fuzzRequests";
import { ISSUER, OTHER } from "../helpers/principals";
import { objectRows } from "../helpers/storage";
import { call, signedRequest, workerFetch } from "../helpers/wire";

/**
 * Property-based fuzz (issue 9): thousands of hostile, correctly signed requests
 * across all ten operations. For each: never a 5xx; an error's body `__type` and
 * its `x-amzn-ErrorType` header agree; a success is a JSON object; no reply
 * carries a string that is not well-formed. Afterwards a
 * control license — another account's, so nothing the fuzz caller may legitimately
 * do can change it — has the same usage, versions and borrows as before.
 *
 * Seeded: FUZZ_SEED (and FUZZ_PATH, from a failure's report) replay a run;
 * FUZZ_RUNS raises the count for a longer local session; FUZZ_TRACE=1 prints the
 * seed and every request as it is sent.
 */

const PARAMETERS = fuzzParameters(env, Number(env.FUZZ_RUNS || 2_000));
const { seed: SEED, numRuns: RUNS, path: PATH } = PARAMETERS;
// ~5 ms a request here; the margin is for a machine shared with other test runs.
const TIMEOUT_MS = Math.max(150_000, RUNS * 25);

let targets: FuzzTargets;
let controlId = "";
let sent = 0;

/** Everything about the control license a request could change, as text. */
async function controlState(): Promise<string> {
	const usage = await call("GetLicenseUsage", { LicenseArn: targets.controlArn }, {}, OTHER);
	const versions = await call("ListLicenseVersions", { LicenseArn: targets.controlArn }, {}, OTHER);
	const license = await call("GetLicense", { LicenseArn: targets.controlArn }, {}, OTHER);
	const borrows = await objectRows(
		targets.controlArn,
		"SELECT token, account_id, status, issued_at, expires_at, returned_at, leases FROM borrows ORDER BY token",
	);
	const usageRows = await objectRows(targets.controlArn, "SELECT * FROM usage ORDER BY name");
	return JSON.stringify({
		usage: usage.text,
		versions: versions.text,
		license: license.text,
		borrows,
		usageRows,
	});
}

/** The license's usage rows are exactly the sum of its live borrows' leases: nothing counted twice or lost. */
async function usageAgreesWithBorrows(arn: string, label: string): Promise<void> {
	const live = await objectRows(arn, "SELECT leases FROM borrows WHERE status = 'ACTIVE'");
	const expected: Record<string, number> = {};
	for (const row of live) {
		for (const lease of JSON.parse(row.leases as string) as { name: string; quantity: number }[]) {
			if (lease.quantity > 0) expected[lease.name] = (expected[lease.name] ?? 0) + lease.quantity;
		}
	}
	const rows = await objectRows(arn, "SELECT name, consumed FROM usage WHERE consumed <> 0");
	expect(Object.fromEntries(rows.map((r) => [r.name, r.consumed])), label).toEqual(expected);
}

/** What is wrong with one reply, or null: the wire contract every answer keeps. */
async function problemWith(res: Response): Promise<string | null> {
	const text = await res.text();
	if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 300)}`;
	if (res.headers.get("Content-Type") !== "application/x-amz-json-1.1")
		return `Content-Type ${res.headers.get("Content-Type")}`;
	let body: unknown;
	let wellFormed = true;
	try {
		body = JSON.parse(text, (_key, value: unknown) => {
			if (typeof value === "string" && !value.isWellFormed()) wellFormed = false;
			return value;
		});
	} catch {
		return `status ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`;
	}
	if (!wellFormed) return `a string in the reply is not well-formed: ${text.slice(0, 300)}`;
	if (typeof body !== "object" || body === null || Array.isArray(body))
		return `a body that is not a JSON object: ${text.slice(0, 300)}`;
	if (res.status === 200) return null;
	if (res.status !== 400) return `status ${res.status}`;
	const error = body as Record<string, unknown>;
	const type = res.headers.get("x-amzn-ErrorType");
	if (typeof error.__type !== "string" || error.__type !== type)
		return `__type ${String(error.__type)} but x-amzn-ErrorType ${type}`;
	if (typeof error.message !== "string" || error.Message !== error.message)
		return `message/Message differ: ${text.slice(0, 300)}`;
	if (/\n\s+at /.test(error.message)) return `a stack trace in the message: ${error.message}`;
	return null;
}

/** One request as a reader can see it: the operation and the body, short and well-formed. */
function describeRequest(req: FuzzRequest): string {
	const body = bodyOf(req, targets);
	const text = typeof body === "string" ? body : `bytes ${Array.from(body).join(",")}`;
	const shown = text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text;
	return `${req.op} ${JSON.stringify(shown)}`;
}

async function send(req: FuzzRequest): Promise<void> {
	// FUZZ_TRACE: every request before it is sent, to find one that never answers.
	if (env.FUZZ_TRACE) console.log(`#${sent} ${describeRequest(req).slice(0, 300)}`);
	const body = bodyOf(req, targets);
	sent += 1;
	const res = await workerFetch(await signedRequest(req.op, body, ISSUER));
	const problem = await problemWith(res);
	if (problem) throw new Error(problem);
}

beforeAll(async () => {
	// The control: OTHER's license, beneficiary without an account id, so the fuzz
	// caller (ISSUER's account) can neither consume it nor see it as a seller.
	const controlArn = expectOk(await call("CreateLicense", licenseInput(), {}, OTHER))
		.LicenseArn as string;
	const controlBorrow = expectOk(
		await call("CheckoutBorrowLicense", checkoutBody(controlArn), {}, OTHER),
	);
	const license = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
	const deletable = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
	const borrow = expectOk(await call("CheckoutBorrowLicense", checkoutBody(license)));
	targets = {
		account: ISSUER.accountId,
		license,
		deletable,
		token: borrow.LicenseConsumptionToken as string,
		controlArn,
		controlToken: controlBorrow.LicenseConsumptionToken as string,
		controlAccount: OTHER.accountId,
	};
	controlId = controlArn.slice(-32);
});

/** The property over RUNS requests, then the checks on what must not have changed. */
async function fuzz(): Promise<void> {
	if (env.FUZZ_TRACE) console.log(`seed ${SEED}`);
	const before = await controlState();
	const seen = new Set<string>();
	const property = fc.asyncProperty(fuzzRequest(targets), async (req) => {
		seen.add(req.op);
		await send(req);
		// A request that names the control is checked at once, so a failure shrinks to it.
		const body = bodyOf(req, targets);
		if (typeof body === "string" && body.includes(controlId)) {
			const after = await controlState();
			if (after !== before) throw new Error("the control license changed");
		}
	});
	const details = await fc.check(property, PARAMETERS);
	if (details.failed) {
		const example = details.counterexample?.[0];
		throw new Error(
			[
				`fuzz failed after ${details.numRuns} requests (seed ${details.seed}, path ${details.counterexamplePath}).`,
				`Replay: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath} npx vitest run test/integration/fuzz.test.ts`,
				example ? `Request: ${describeRequest(example)}` : "",
				`Error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
			]
				.join("\n")
				.toWellFormed(),
		);
	}
	if (!PATH) {
		expect(sent, `seed ${SEED}`).toBeGreaterThanOrEqual(RUNS);
		expect([...seen].sort(), `seed ${SEED}`).toEqual([...OPERATIONS].sort());
	}
	expect(await controlState(), `control license changed; seed ${SEED}`).toBe(before);
	await usageAgreesWithBorrows(targets.license, `usage differs from live borrows; seed ${SEED}`);
}

describe("fuzz: hostile requests to all ten operations", () => {
	it(
		`answers ${RUNS} of them within the wire contract, and the control license is untouched`,
		fuzz,
		TIMEOUT_MS,
	);
});
