import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { operations } from "../../src/operations/registry";
import { AwsError } from "../../src/protocol/errors";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { checkoutBody, createLicense, licenseInput, uniqueToken } from "../helpers/fixtures";
import { ISSUER } from "../helpers/principals";
import { call } from "../helpers/wire";

/**
 * SPEC §6: the id carries the placement, so a caller could choose one. Ids whose
 * placement the service never mints — jurisdiction 1 without an EU hint,
 * jurisdiction 2 (fedramp, which nothing mints), hint digits past 9 — name no
 * license: ResourceNotFoundException, and no object stub is made for them. A
 * placement this runtime cannot give (workerd has no jurisdictions, so the two
 * EU placements here) is not found either, never a 500.
 */

const TAIL = "0123456789abcdef0123456789abcd";
const NEVER_MINTED = ["10", "11", "13", "16", "19", "1a", "24", "20", "0a", "0f", "f0", "ff"];
const EU_MINTED = ["14", "15"];
const arnOf = (pair: string) => `arn:aws:license-manager::111122223333:license:l-${pair}${TAIL}`;
const tokenOf = (pair: string) => `${pair}${TAIL}${"ab".repeat(16)}`;

/** A request body, otherwise valid, for each operation that names a license or a borrow. */
function bodies(pair: string): [op: string, body: Record<string, unknown>][] {
	const arn = arnOf(pair);
	const { ClientToken: _c, ProductSKU: _p, Beneficiary: _b, ...license } = licenseInput();
	return [
		["CheckoutBorrowLicense", checkoutBody(arn)],
		["CheckInLicense", { LicenseConsumptionToken: tokenOf(pair) }],
		["ExtendLicenseConsumption", { LicenseConsumptionToken: tokenOf(pair) }],
		["GetLicense", { LicenseArn: arn }],
		["GetLicenseUsage", { LicenseArn: arn }],
		[
			"CreateLicenseVersion",
			{ ...license, LicenseArn: arn, Status: "AVAILABLE", ClientToken: uniqueToken("v") },
		],
		["ListLicenseVersions", { LicenseArn: arn }],
		["DeleteLicense", { LicenseArn: arn, SourceVersion: "1" }],
	];
}

function notFoundMessage(op: string, pair: string): string {
	return op === "CheckInLicense" || op === "ExtendLicenseConsumption"
		? "License consumption token not found."
		: `License ${arnOf(pair)} does not exist.`;
}

describe("ids with a placement the service never mints", () => {
	for (const pair of [...NEVER_MINTED, ...EU_MINTED]) {
		it(`l-${pair}…: every operation answers ResourceNotFoundException`, async () => {
			for (const [op, body] of bodies(pair)) {
				const res = await call(op, body);
				expectAwsError(res, "ResourceNotFoundException", notFoundMessage(op, pair));
			}
		});
	}

	it("ListLicenses with such ARNs lists nothing (it reads D1, never an object)", async () => {
		const out = expectOk(
			await call("ListLicenses", { LicenseArns: [...NEVER_MINTED, ...EU_MINTED].map(arnOf) }),
		);
		expect(out).toEqual({ Licenses: [] });
	});
});

interface NamespaceCalls {
	jurisdiction: string[];
	idFromName: string[];
	get: number;
}

/** The LICENSES binding replaced by one that records every use and makes nothing. */
function recordingEnv(): { testEnv: Env; calls: NamespaceCalls } {
	const calls: NamespaceCalls = { jurisdiction: [], idFromName: [], get: 0 };
	const namespace = {
		jurisdiction(j: string) {
			calls.jurisdiction.push(j);
			throw new Error("Jurisdiction restrictions are not implemented in workerd.");
		},
		idFromName(name: string) {
			calls.idFromName.push(name);
			return { name };
		},
		get() {
			calls.get += 1;
			throw new Error("no object may be made in this test");
		},
	};
	const testEnv = new Proxy(env as unknown as Env, {
		get: (target, key) => (key === "LICENSES" ? namespace : Reflect.get(target, key)),
	});
	return { testEnv, calls };
}

describe("no stub is made for an id never minted", () => {
	const caller = { accountId: ISSUER.accountId, accessKeyId: ISSUER.accessKeyId, requestId: "r" };

	for (const pair of NEVER_MINTED) {
		it(`l-${pair}…: refused before the namespace is touched`, async () => {
			const { testEnv, calls } = recordingEnv();
			const config = loadConfig(env as unknown as Env);
			for (const [op, input] of bodies(pair)) {
				const handler = operations[op];
				if (!handler) throw new Error(op);
				const error = await handler({ env: testEnv, config, caller, input, log: {} }).then(
					() => null,
					(e: unknown) => e,
				);
				expect(error).toBeInstanceOf(AwsError);
				expect((error as AwsError).type).toBe("ResourceNotFoundException");
			}
			expect(calls).toEqual({ jurisdiction: [], idFromName: [], get: 0 });
		});
	}

	it("an EU id asks for the eu jurisdiction; when the runtime cannot give it, not found", async () => {
		const { testEnv, calls } = recordingEnv();
		const config = loadConfig(env as unknown as Env);
		const handler = operations.GetLicenseUsage;
		if (!handler) throw new Error("GetLicenseUsage");
		await expect(
			handler({ env: testEnv, config, caller, input: { LicenseArn: arnOf("14") }, log: {} }),
		).rejects.toMatchObject({ type: "ResourceNotFoundException" });
		expect(calls).toEqual({ jurisdiction: ["eu"], idFromName: [], get: 0 });
	});
});

describe("minted ids are unaffected", () => {
	let arn = "";
	beforeAll(async () => {
		arn = await createLicense();
	});

	it("a license of every non-EU home region is found again from its id", async () => {
		for (const HomeRegion of ["us-west-2", "sa-east-1", "ap-southeast-2", "xx-nowhere-1"]) {
			const out = expectOk(await call("CreateLicense", licenseInput({ HomeRegion })));
			const found = expectOk(await call("GetLicense", { LicenseArn: out.LicenseArn }));
			expect((found.License as { HomeRegion: string }).HomeRegion).toBe(HomeRegion);
		}
		expectOk(await call("GetLicenseUsage", { LicenseArn: arn }));
	});
});
