import { describe, expect, it } from "vitest";
import { isServiceError, ServiceError } from "../../src/client";
import { expectAwsError, expectOk } from "../helpers/expectations";
import { licenseInput } from "../helpers/fixtures";
import { freshPrincipal, ISSUER, putPrincipal } from "../helpers/principals";
import { typedClient } from "../helpers/sdk";
import { call, ENDPOINT, extensionCall, send, sign, workerFetch } from "../helpers/wire";

/**
 * SPEC §8: `EdgeLicenseManager.<Op>` goes through the same door as the AWS targets —
 * SigV4, the principal's operation list, the AWS error shapes — and only the
 * extension table answers under that prefix.
 */
describe("extension operation dispatch", () => {
	it("answers an unknown target as UnknownOperationException, before authentication", async () => {
		for (const target of [
			"EdgeLicenseManager.Nope",
			"EdgeLicenseManager.GetLicense", // an AWS name under the extension prefix
			"AWSLicenseManager.GetUsageHistory", // an extension name under the AWS prefix
			"AWSLicenseManager.RevokeBorrow",
			"EdgeLicenseManager.",
			"EdgeLicenseManager.constructor",
			"EdgeLicenseManager.__proto__",
			"edgelicensemanager.GetUsageHistory",
		]) {
			const res = await call("GetLicense", {}, { "x-amz-target": target });
			expectAwsError(
				res,
				"UnknownOperationException",
				`Unknown operation ${JSON.stringify(target)}.`,
			);
		}
		const unsigned = await workerFetch(`${ENDPOINT}/`, {
			method: "POST",
			headers: {
				"content-type": "application/x-amz-json-1.1",
				"x-amz-target": "EdgeLicenseManager.Nope",
			},
			body: "{}",
		});
		expect(unsigned.headers.get("x-amzn-ErrorType")).toBe("UnknownOperationException");
	});

	it("authenticates extension calls exactly as AWS ones", async () => {
		const target = { "x-amz-target": "EdgeLicenseManager.ListAuditEvents" };
		const signed = await sign("ListAuditEvents", {}, ISSUER, { headers: target });
		expectOk(await send(signed));
		expectAwsError(
			await send(signed, { headers: { authorization: null } }),
			"MissingAuthenticationTokenException",
		);
		expectAwsError(await send(signed, { body: '{"MaxResults":1}' }), "InvalidSignatureException");
		// The target is signed: a captured ListAuditEvents cannot be re-aimed.
		expectAwsError(
			await send(signed, { headers: { "x-amz-target": "EdgeLicenseManager.GetUsageHistory" } }),
			"InvalidSignatureException",
		);
		expectAwsError(
			await extensionCall("ListAuditEvents", "{not json"),
			"SerializationException",
			"The request body is not valid JSON.",
		);
	});

	it("allows a principal only the extension operations its list names (AuthorizationException otherwise)", async () => {
		const reader = freshPrincipal(ISSUER.accountId, "AUDIT");
		await putPrincipal(reader, { operations: ["GetLicense", "ListAuditEvents"] });
		const arn = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;

		expectOk(await extensionCall("ListAuditEvents", { LicenseArn: arn }, reader));
		expectAwsError(
			await extensionCall("GetUsageHistory", { LicenseArn: arn }, reader),
			"AuthorizationException",
			`The access key ${reader.accessKeyId} is not allowed to perform GetUsageHistory.`,
		);
		const history = freshPrincipal(ISSUER.accountId, "HIST");
		await putPrincipal(history, { operations: ["GetUsageHistory"] });
		expectOk(await extensionCall("GetUsageHistory", { LicenseArn: arn }, history));
		expectAwsError(
			await extensionCall("ListAuditEvents", {}, history),
			"AuthorizationException",
			`The access key ${history.accessKeyId} is not allowed to perform ListAuditEvents.`,
		);
		// An extension permission is not an AWS one of the same shape.
		expectAwsError(
			await call("GetLicense", { LicenseArn: arn }, {}, history),
			"AuthorizationException",
		);
	});
});

describe("the typed client (src/client)", () => {
	it("signs exactly content-type, host, x-amz-date and x-amz-target and returns typed answers", async () => {
		const seen: Request[] = [];
		const client = typedClient(ISSUER, seen);
		const arn = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
		const history = await client.getUsageHistory({ LicenseArn: arn, Granularity: "DAY" });
		expect(history.Entitlements.map((e) => [e.Name, e.Unit, e.Points.length])).toEqual([
			["Seats", "Count", 7],
			["Hours", "Seconds", 7],
		]);
		const audit = await client.send("ListAuditEvents", { LicenseArn: arn });
		expect(audit.Events.map((e) => e.Operation)).toEqual(["CreateLicense"]);
		expect(seen).toHaveLength(2);
		for (const request of seen) {
			expect(request.headers.get("authorization")).toMatch(
				/^AWS4-HMAC-SHA256 Credential=AKIDLOCALDEV0000001\/\d{8}\/us-east-1\/license-manager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
			);
		}
		expect(seen.map((r) => r.headers.get("x-amz-target"))).toEqual([
			"EdgeLicenseManager.GetUsageHistory",
			"EdgeLicenseManager.ListAuditEvents",
		]);
	});

	it("rejects with the service's error as a typed ServiceError", async () => {
		const client = typedClient();
		const err = await client.listAuditEvents({ MaxResults: 0 }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(ServiceError);
		expect(isServiceError(err, "ValidationException")).toBe(true);
		expect(err).toMatchObject({
			type: "ValidationException",
			status: 400,
			message:
				"1 validation error detected: Value 0 at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
			requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
		});
		// A license id never minted: the object-served operations answer as for any missing license.
		const missing = "arn:aws:license-manager::111122223333:license:l-00";
		await expect(client.listBorrows({ LicenseArn: missing })).rejects.toMatchObject({
			type: "ResourceNotFoundException",
			message: `License ${missing} does not exist.`,
		});
		const wrongKey = typedClient({ ...ISSUER, secretAccessKey: "wrong" });
		await expect(wrongKey.listAuditEvents({})).rejects.toMatchObject({
			type: "InvalidSignatureException",
		});
	});
});
