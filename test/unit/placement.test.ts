import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import {
	isLicenseId,
	licenseStub,
	mintLicenseId,
	type Placement,
	placementForRegion,
	placementOf,
} from "../../src/license/ids";

/** SPEC §6: placement from the home region, fixed at creation, derivable from the id alone. */

describe("placementForRegion", () => {
	const cases: [string, boolean, Placement][] = [
		["us-east-1", false, { jurisdiction: null, locationHint: "enam" }],
		["us-east-1", true, { jurisdiction: null, locationHint: "enam" }],
		["us-west-2", false, { jurisdiction: null, locationHint: "wnam" }],
		["eu-west-1", false, { jurisdiction: null, locationHint: "weur" }],
		["eu-west-1", true, { jurisdiction: "eu", locationHint: "weur" }],
		["eu-central-1", false, { jurisdiction: null, locationHint: "eeur" }],
		["eu-central-1", true, { jurisdiction: "eu", locationHint: "eeur" }],
		["ap-southeast-2", false, { jurisdiction: null, locationHint: "oc" }],
		["ap-southeast-2", true, { jurisdiction: null, locationHint: "oc" }],
		["sa-east-1", false, { jurisdiction: null, locationHint: "sam" }],
	];
	for (const [region, eu, expected] of cases) {
		it(`${region}${eu ? " (EU jurisdiction on)" : ""}`, () => {
			expect(placementForRegion(region, eu)).toEqual(expected);
		});
	}

	it("gives no hint for a region it does not know", () => {
		expect(placementForRegion("xx-nowhere-1", true)).toEqual({
			jurisdiction: null,
			locationHint: null,
		});
	});
});

describe("mintLicenseId", () => {
	const placements: Placement[] = [
		{ jurisdiction: null, locationHint: null },
		{ jurisdiction: null, locationHint: "enam" },
		{ jurisdiction: null, locationHint: "wnam" },
		{ jurisdiction: "eu", locationHint: "weur" },
		{ jurisdiction: "eu", locationHint: "eeur" },
		{ jurisdiction: null, locationHint: "oc" },
		{ jurisdiction: null, locationHint: "sam" },
	];

	it("embeds the placement: placementOf(id) returns it from the id alone", async () => {
		for (const placement of placements) {
			const id = await mintLicenseId(env, "111122223333", "token-1", placement);
			expect(isLicenseId(id)).toBe(true);
			expect(placementOf(id)).toEqual(placement);
		}
	});

	it("keeps the placement whatever the config later says", async () => {
		const id = await mintLicenseId(env, "111122223333", "t", placementForRegion("eu-west-1", true));
		// Whatever EU_JURISDICTION says now, the id alone decides.
		for (const EU_JURISDICTION of ["true", "false", undefined]) {
			const { ns, calls } = recordingNamespace();
			licenseStub({ LICENSES: ns, EU_JURISDICTION } as unknown as Env, id);
			expect(calls.jurisdiction).toEqual(["eu"]);
			expect(calls.get[0]?.options).toEqual({ locationHint: "weur" });
		}
	});

	it("is the same for the same account and ClientToken", async () => {
		const p = placementForRegion("us-east-1", false);
		const a = await mintLicenseId(env, "111122223333", "same-token", p);
		const b = await mintLicenseId(env, "111122223333", "same-token", p);
		expect(a).toBe(b);
	});

	it("differs across accounts and across ClientTokens", async () => {
		const p = placementForRegion("us-east-1", false);
		const ids = new Set([
			await mintLicenseId(env, "111122223333", "same-token", p),
			await mintLicenseId(env, "444455556666", "same-token", p),
			await mintLicenseId(env, "111122223333", "other-token", p),
		]);
		expect(ids.size).toBe(3);
	});

	it("does not let account and token run together", async () => {
		const p = placementForRegion("us-east-1", false);
		expect(await mintLicenseId(env, "11112222333", "3x", p)).not.toBe(
			await mintLicenseId(env, "111122223333", "x", p),
		);
	});
});

interface Recorded {
	jurisdiction: string[];
	idFromName: { scope: string; name: string }[];
	get: { scope: string; id: unknown; options: unknown }[];
}

/** A DurableObjectNamespace stand-in that records how it is used. */
function recordingNamespace(): { ns: unknown; calls: Recorded } {
	const calls: Recorded = { jurisdiction: [], idFromName: [], get: [] };
	const make = (scope: string): Record<string, unknown> => ({
		jurisdiction(j: string) {
			calls.jurisdiction.push(j);
			return make(j);
		},
		idFromName(name: string) {
			calls.idFromName.push({ scope, name });
			return { scope, name };
		},
		get(id: unknown, ...rest: unknown[]) {
			calls.get.push({ scope, id, options: rest[0] });
			return { stubFor: id };
		},
	});
	return { ns: make("default"), calls };
}

describe("licenseStub", () => {
	it("uses the eu jurisdiction and the location hint of an EU id", async () => {
		const id = await mintLicenseId(
			env,
			"111122223333",
			"eu",
			placementForRegion("eu-central-1", true),
		);
		const { ns, calls } = recordingNamespace();
		const stub = licenseStub({ LICENSES: ns } as unknown as Env, id);
		expect(calls.jurisdiction).toEqual(["eu"]);
		expect(calls.idFromName).toEqual([{ scope: "eu", name: id }]);
		expect(calls.get).toEqual([
			{ scope: "eu", id: { scope: "eu", name: id }, options: { locationHint: "eeur" } },
		]);
		expect(stub).toEqual({ stubFor: { scope: "eu", name: id } });
	});

	it("makes no jurisdiction call for a plain id, and passes its hint", async () => {
		const id = await mintLicenseId(
			env,
			"111122223333",
			"us",
			placementForRegion("us-west-2", true),
		);
		const { ns, calls } = recordingNamespace();
		licenseStub({ LICENSES: ns } as unknown as Env, id);
		expect(calls.jurisdiction).toEqual([]);
		expect(calls.idFromName).toEqual([{ scope: "default", name: id }]);
		expect(calls.get).toEqual([
			{ scope: "default", id: { scope: "default", name: id }, options: { locationHint: "wnam" } },
		]);
	});

	it("passes no options for an id without a hint", async () => {
		const id = await mintLicenseId(env, "111122223333", "none", {
			jurisdiction: null,
			locationHint: null,
		});
		const { ns, calls } = recordingNamespace();
		licenseStub({ LICENSES: ns } as unknown as Env, id);
		expect(calls.jurisdiction).toEqual([]);
		expect(calls.get).toEqual([
			{ scope: "default", id: { scope: "default", name: id }, options: undefined },
		]);
	});
});
