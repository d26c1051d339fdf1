import fc from "fast-check";
import { expect } from "vitest";
import type { TestPrincipal } from "./principals";
import { signedRequest, workerFetch } from "./wire";

/**
 * The loop the extension-operation fuzz files share: hostile bodies of the given
 * `EdgeLicenseManager.*` operations, correctly signed by `caller`. Every answer must
 * be a JSON 200 or an AWS-shaped 400 (never a 5xx) and hold none of `tokens` (unless
 * `mayQuoteSent` and the request carried it: a validation message may quote what the
 * caller sent, as AWS does); a 200 is judged by `problemWithSuccess` (the file's own
 * contract: a message, or null when fine). A failure names the seed and path that replay it; without a replay path,
 * every operation must have answered both a 200 and a 400, so the run reached past
 * validation as well as into it.
 */
export async function fuzzExtensionOperations<Op extends string>(opts: {
	operations: readonly Op[];
	caller: TestPrincipal;
	bodyArbitrary: (op: Op) => fc.Arbitrary<string | Uint8Array>;
	tokens: readonly string[];
	mayQuoteSent?: boolean;
	problemWithSuccess: (op: Op, body: Record<string, unknown>) => string | null;
	parameters: { seed: number; numRuns: number; path?: string };
}): Promise<void> {
	const { operations, caller, bodyArbitrary, parameters } = opts;
	const problemWith = (op: Op, res: Response, text: string, sent: string): string | null => {
		if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 300)}`;
		if (res.headers.get("Content-Type") !== "application/x-amz-json-1.1") return "Content-Type";
		for (const token of opts.tokens)
			if (text.includes(token) && !(opts.mayQuoteSent && sent.includes(token)))
				return "a consumption token in the reply";
		let body: Record<string, unknown>;
		try {
			body = JSON.parse(text) as Record<string, unknown>;
		} catch {
			return `a body that is not JSON: ${text.slice(0, 300)}`;
		}
		if (res.status === 400) {
			const type = res.headers.get("x-amzn-ErrorType");
			if (typeof body.__type !== "string" || body.__type !== type)
				return `__type ${String(body.__type)} vs ${type}`;
			if (typeof body.message !== "string" || body.Message !== body.message)
				return "message/Message";
			if (Object.keys(body).sort().join() !== "Message,__type,message")
				return `error members ${Object.keys(body)}`;
			return null;
		}
		if (res.status !== 200) return `status ${res.status}`;
		return opts.problemWithSuccess(op, body);
	};
	const request = fc
		.constantFrom(...operations)
		.chain((op) => bodyArbitrary(op).map((body) => ({ op, body })));
	const statuses = new Map<string, number>();
	const details = await fc.check(
		fc.asyncProperty(request, async ({ op, body }) => {
			const req = await signedRequest(op, body, caller, {
				"x-amz-target": `EdgeLicenseManager.${op}`,
			});
			const res = await workerFetch(req);
			const text = await res.text();
			const key = `${op} ${res.status}`;
			statuses.set(key, (statuses.get(key) ?? 0) + 1);
			const sent = typeof body === "string" ? body : new TextDecoder().decode(body);
			const problem = problemWith(op, res, text, sent);
			if (problem) throw new Error(problem);
		}),
		parameters,
	);
	if (details.failed) {
		const example = details.counterexample?.[0];
		const body = example
			? typeof example.body === "string"
				? example.body.slice(0, 600)
				: "bytes"
			: "";
		throw new Error(
			`seed ${details.seed}, path ${details.counterexamplePath}: ${example?.op} ${JSON.stringify(body)}: ${
				details.errorInstance instanceof Error
					? details.errorInstance.message
					: String(details.errorInstance)
			}`.toWellFormed(),
		);
	}
	if (!parameters.path) {
		for (const op of operations) {
			expect(statuses.get(`${op} 200`) ?? 0, `seed ${parameters.seed}`).toBeGreaterThan(0);
			expect(statuses.get(`${op} 400`) ?? 0, `seed ${parameters.seed}`).toBeGreaterThan(0);
		}
	}
}
