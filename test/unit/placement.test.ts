import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { licenseStub } from "../../src/license/contract";
import {
	mintLicenseId,
	type Placement,
	placementForRegion,
	placementOf,
} from "../../src/licenseIds";

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
			expect(id).toMatch(/^l-[0-9a-f]{32}$/);
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

describe("placementOf: only placements the service mints", () => {
	// Every region AWS has (and two it does not), with EU_JURISDICTION on and off.
	const REGIONS = [
		"us-east-1",
		"us-east-2",
		"us-west-1",
		"us-west-2",
		"us-gov-west-1",
		"us-gov-east-1",
		"ca-central-1",
		"ca-west-1",
		"mx-central-1",
		"sa-east-1",
		"eu-west-1",
		"eu-west-2",
		"eu-west-3",
		"eu-central-1",
		"eu-central-2",
		"eu-north-1",
		"eu-south-1",
		"eu-south-2",
		"eusc-de-east-1",
		"ap-east-1",
		"ap-east-2",
		"ap-south-1",
		"ap-south-2",
		"ap-northeast-1",
		"ap-northeast-2",
		"ap-northeast-3",
		"ap-southeast-1",
		"ap-southeast-2",
		"ap-southeast-3",
		"ap-southeast-4",
		"ap-southeast-5",
		"ap-southeast-6",
		"ap-southeast-7",
		"af-south-1",
		"me-south-1",
		"me-central-1",
		"il-central-1",
		"cn-north-1",
		"cn-northwest-1",
		"xx-nowhere-1",
	];
	const key = (p: Placement) => `${p.jurisdiction}/${p.locationHint}`;

	it("accepts exactly the placements placementForRegion gives", () => {
		const minted = new Set(
			REGIONS.flatMap((r) => [placementForRegion(r, false), placementForRegion(r, true)]).map(key),
		);
		const accepted = new Set<string>();
		for (let digits = 0; digits < 256; digits++) {
			const pair = digits.toString(16).padStart(2, "0");
			const placement = placementOf(`l-${pair}${"0".repeat(30)}`);
			if (placement) accepted.add(key(placement));
		}
		expect([...accepted].sort()).toEqual([...minted].sort());
		// Twelve: no jurisdiction with each of the ten hints (or none), and eu with weur or eeur.
		expect(accepted.size).toBe(12);
	});

	it("refuses fedramp, eu outside Europe, and hint digits past 9", () => {
		for (const pair of ["24", "20", "10", "13", "16", "0a", "0f", "f0", "1f"]) {
			expect(placementOf(`l-${pair}${"0".repeat(30)}`), pair).toBeNull();
		}
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

	it("makes no stub, and touches no namespace, for a placement never minted", () => {
		for (const pair of ["10", "24", "0a", "ff"]) {
			const { ns, calls } = recordingNamespace();
			expect(
				licenseStub({ LICENSES: ns } as unknown as Env, `l-${pair}${"0".repeat(30)}`),
			).toBeNull();
			expect(calls).toEqual({ jurisdiction: [], idFromName: [], get: [] });
		}
	});

	it("gives no stub when the runtime cannot give the jurisdiction (workerd has none)", () => {
		const throwing = {
			jurisdiction() {
				throw new Error("Jurisdiction restrictions are not implemented in workerd.");
			},
		};
		expect(
			licenseStub({ LICENSES: throwing } as unknown as Env, `l-14${"0".repeat(30)}`),
		).toBeNull();
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
