import fc from "fast-check";
import { expect } from "vitest";
import type { TestPrincipal } from "./principals";
import { signedRequest, workerFetch } from "./wire";

/**
 * The loop the extension-operation fuzz files share: hostile bodies of the given
 * `EdgeLicenseManager.*` operations, correctly signed by `caller`, each answer judged
 * by `problemWith` (the file's own contract: a message, or null when the answer is
 * fine). A failure names the seed and path that replay it; without a replay path,
 * every operation must have answered both a 200 and a 400, so the run reached past
 * validation as well as into it.
 */
export async function fuzzExtensionOperations<Op extends string>(opts: {
	operations: readonly Op[];
	caller: TestPrincipal;
	bodyArbitrary: (op: Op) => fc.Arbitrary<string | Uint8Array>;
	problemWith: (op: Op, res: Response, text: string, sent: string) => string | null;
	parameters: { seed: number; numRuns: number; path?: string };
}): Promise<void> {
	const { operations, caller, bodyArbitrary, problemWith, parameters } = opts;
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
