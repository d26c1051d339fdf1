import { describe, expect, it } from "vitest";
import { createCall } from "../../console/src/api/client";
import { isUnknownOperation, ServiceError } from "../../console/src/api/errors";
import { extensionOperations } from "../../console/src/api/extension";
import { licenseManager } from "../../console/src/api/licenseManager";
import type { CreateLicenseInput } from "../../console/src/api/types";
import { uniqueToken } from "../helpers/fixtures";
import { ISSUER } from "../helpers/principals";
import { ENDPOINT, workerFetch } from "../helpers/wire";

/**
 * The console's own client (aws4fetch in the page), pointed at the Worker inside
 * workerd: the service's SigV4 verifier must accept what it signs, and its answers
 * and errors must come back as the console shows them.
 */
const credentials = {
	accessKeyId: ISSUER.accessKeyId,
	secretAccessKey: ISSUER.secretAccessKey,
	region: "us-east-1",
};

function consoleClient(c = credentials, seen: Request[] = []) {
	const call = createCall(c, {
		endpoint: `${ENDPOINT}/`,
		fetch: (request) => {
			seen.push(request.clone());
			// A browser adds Host from the URL (scripts may not set it); a Request made
			// inside workerd has none, so it is added here the same way.
			const withHost = new Request(request);
			withHost.headers.set("host", new URL(request.url).host);
			return workerFetch(withHost);
		},
	});
	return { api: licenseManager(call), extension: extensionOperations(call) };
}

function createInput(): CreateLicenseInput {
	return {
		LicenseName: "Console license",
		ProductName: "Console product",
		ProductSKU: "CONSOLE-1",
		Issuer: { Name: "Console Issuer" },
		HomeRegion: "us-east-1",
		Beneficiary: "My Beneficiary",
		Validity: { Begin: "2024-01-01T00:00:00Z", End: "2099-01-01T00:00:00Z" },
		Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 4 }],
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 30 },
		},
		ClientToken: uniqueToken("console"),
	};
}

describe("the console's SigV4 client against the Worker", () => {
	it("is accepted for every operation the console uses, signing exactly content-type, host, x-amz-date, x-amz-target", async () => {
		const seen: Request[] = [];
		const { api } = consoleClient(credentials, seen);
		const created = await api.createLicense(createInput());
		expect(created).toEqual({
			LicenseArn: expect.stringMatching(/^arn:aws:license-manager::111122223333:license:l-/),
			Status: "AVAILABLE",
			Version: "1",
		});

		const { License } = await api.getLicense({ LicenseArn: created.LicenseArn });
		expect(License).toMatchObject({
			LicenseName: "Console license",
			Status: "AVAILABLE",
			Version: "1",
		});
		expect(await api.getLicenseUsage({ LicenseArn: created.LicenseArn })).toEqual({
			LicenseUsage: {
				EntitlementUsages: [{ Name: "Seats", ConsumedValue: "0", MaxCount: "4", Unit: "Count" }],
			},
		});
		const listed = await api.listLicenses({
			Filters: [{ Name: "ProductSKU", Values: ["CONSOLE-1"] }],
		});
		expect(listed.Licenses.map((l) => l.LicenseArn)).toContain(created.LicenseArn);

		const deactivated = await api.createLicenseVersion({
			LicenseArn: created.LicenseArn,
			LicenseName: License.LicenseName,
			ProductName: License.ProductName,
			Issuer: { Name: License.Issuer.Name },
			HomeRegion: License.HomeRegion,
			Validity: License.Validity,
			Entitlements: License.Entitlements,
			ConsumptionConfiguration: License.ConsumptionConfiguration,
			Status: "DEACTIVATED",
			SourceVersion: "1",
			ClientToken: uniqueToken("deact"),
		});
		expect(deactivated).toEqual({
			LicenseArn: created.LicenseArn,
			Status: "DEACTIVATED",
			Version: "2",
		});
		const versions = await api.listLicenseVersions({ LicenseArn: created.LicenseArn });
		expect(versions.Licenses.map((v) => [v.Version, v.Status])).toEqual([
			["1", "AVAILABLE"],
			["2", "DEACTIVATED"],
		]);

		expect(seen).toHaveLength(6);
		for (const request of seen) {
			expect(request.headers.get("authorization")).toMatch(
				/^AWS4-HMAC-SHA256 Credential=AKIDLOCALDEV0000001\/\d{8}\/us-east-1\/license-manager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
			);
		}
	});

	it("brings back a wrong secret as the service's InvalidSignatureException, in its words", async () => {
		const { api } = consoleClient({ ...credentials, secretAccessKey: "not-the-secret" });
		const err = await api.listLicenses({ MaxResults: 1 }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(ServiceError);
		expect(err).toMatchObject({
			type: "InvalidSignatureException",
			status: 400,
			message:
				"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
		});
		expect((err as ServiceError).requestId).toMatch(/^[0-9a-f-]{36}$/);
	});

	it("brings back an unknown access key as UnrecognizedClientException", async () => {
		const { api } = consoleClient({ ...credentials, accessKeyId: "AKIDNOBODYKNOWS00001" });
		await expect(api.listLicenses({})).rejects.toMatchObject({
			type: "UnrecognizedClientException",
			message: "The security token included in the request is invalid.",
		});
	});

	it("recognises a server without the extension operations (SPEC §8) by its UnknownOperationException", async () => {
		// Every extension operation is served here: the console's ListBorrows reaches the object.
		const { extension } = consoleClient();
		const missing = "arn:aws:license-manager::111122223333:license:l-00";
		await expect(extension.listBorrows({ LicenseArn: missing })).rejects.toMatchObject({
			type: "ResourceNotFoundException",
		});
		// A server that does not offer a target answers as this one does for any target it
		// lacks: the console's calls, sent under a prefix this server does not serve.
		const call = createCall(credentials, {
			endpoint: `${ENDPOINT}/`,
			fetch: (request) => {
				const withHost = new Request(request);
				withHost.headers.set("host", new URL(request.url).host);
				return workerFetch(withHost);
			},
		});
		const older = extensionOperations((target, input) =>
			call(target.replace("EdgeLicenseManager.", "EdgeLicenseManagerNext."), input),
		);
		const err = await older.listBorrows({ LicenseArn: missing }).catch((e: unknown) => e);
		expect(err).toMatchObject({
			type: "UnknownOperationException",
			message: 'Unknown operation "EdgeLicenseManagerNext.ListBorrows".',
		});
		expect(isUnknownOperation(err)).toBe(true);
	});
});
