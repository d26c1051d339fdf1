import {
	CheckoutBorrowLicenseCommand,
	CreateLicenseCommand,
	GetLicenseCommand,
	GetLicenseUsageCommand,
} from "@aws-sdk/client-license-manager";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { borrowIdOf } from "../../src/borrowId";
import { licenseInput, uniqueToken } from "../helpers/fixtures";
import { sdkClient } from "../helpers/sdk";
import { call, workerFetch } from "../helpers/wire";

const client = sdkClient();

describe("CheckoutBorrowLicense through the AWS SDK", () => {
	it("creates a license, borrows from it and returns a PS384 token that verifies against the JWKS", async () => {
		const created = await client.send(new CreateLicenseCommand(licenseInput()));
		expect(created.LicenseArn).toMatch(
			/^arn:aws:license-manager::111122223333:license:l-[0-9a-f]{32}$/,
		);
		expect(created.Status).toBe("AVAILABLE");
		expect(created.Version).toBe("1");
		const arn = created.LicenseArn as string;

		const out = await client.send(
			new CheckoutBorrowLicenseCommand({
				LicenseArn: arn,
				ClientToken: uniqueToken(),
				DigitalSignatureMethod: "JWT_PS384",
				Entitlements: [
					{ Name: "Seats", Unit: "Count", Value: "2" },
					{ Name: "Tier", Unit: "None" },
				],
				NodeId: "laptop-42",
				CheckoutMetadata: [{ Name: "user", Value: "ada" }],
			}),
		);
		expect(out.LicenseArn).toBe(arn);
		expect(out.EntitlementsAllowed).toEqual([
			{ Name: "Seats", Unit: "Count", Value: "2" },
			{ Name: "Tier", Unit: "None", Value: "Enterprise" },
		]);
		expect(out.NodeId).toBe("laptop-42");
		expect(out.CheckoutMetadata).toEqual([{ Name: "user", Value: "ada" }]);
		const issued = Date.parse(out.IssuedAt as string);
		const expires = Date.parse(out.Expiration as string);
		expect(expires - issued).toBe(60 * 60_000);

		const jwksResponse = await workerFetch("http://x/.well-known/jwks.json");
		expect(jwksResponse.headers.get("x-amzn-RequestId")).toMatch(/^[0-9a-f-]{36}$/);
		expect(Date.parse(jwksResponse.headers.get("Date") ?? "")).not.toBeNaN();
		const jwks = (await jwksResponse.json()) as {
			keys: object[];
		};
		expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "PS384", use: "sig", kid: "test-key-1" });
		expect(JSON.stringify(jwks)).not.toMatch(/"d"|"p"|"q"/);
		const token = out.SignedToken as string;
		expect(decodeProtectedHeader(token)).toEqual({ alg: "PS384", typ: "JWT", kid: "test-key-1" });
		const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
			algorithms: ["PS384"],
			issuer: "elm-test",
			subject: arn,
		});
		expect(payload).toEqual({
			licenseArn: arn,
			licenseConsumptionToken: out.LicenseConsumptionToken,
			entitlementsAllowed: [
				{ name: "Seats", value: "2", unit: "Count" },
				{ name: "Tier", value: "Enterprise", unit: "None" },
			],
			nodeId: "laptop-42",
			issuedAt: out.IssuedAt,
			expiration: out.Expiration,
			checkoutMetadata: { user: "ada" },
			iss: "elm-test",
			sub: arn,
			exp: expires / 1000,
			// The public BorrowId (SPEC §8), never the consumption token, which is a credential.
			jti: borrowIdOf(out.LicenseConsumptionToken as string),
		});

		const usage = await client.send(new GetLicenseUsageCommand({ LicenseArn: arn }));
		expect(usage.LicenseUsage?.EntitlementUsages).toEqual([
			{ Name: "Seats", ConsumedValue: "2", MaxCount: "7", Unit: "Count" },
			{ Name: "Hours", ConsumedValue: "0", MaxCount: "3600", Unit: "Seconds" },
			{ Name: "Tier", ConsumedValue: "0", Unit: "None" },
		]);
		const got = await client.send(new GetLicenseCommand({ LicenseArn: arn }));
		expect(got.License?.Issuer?.KeyFingerprint).toBe(
			"aws:111122223333:Test Issuer:issuer-fingerprint",
		);
	});

	it("answers with the wire headers AWS clients read", async () => {
		const res = await call("GetLicense", {
			LicenseArn:
				"arn:aws:license-manager::111122223333:license:l-00000000000000000000000000000000",
		});
		expect(res.status).toBe(400);
		expect(res.json).toEqual({
			__type: "ResourceNotFoundException",
			message: res.json.message,
			Message: res.json.message,
		});
		expect(res.headers.get("x-amzn-ErrorType")).toBe("ResourceNotFoundException");
		expect(res.headers.get("x-amzn-RequestId")).toMatch(/^[0-9a-f-]{36}$/);
		expect(res.headers.get("Date")).toBeTruthy();
	});
});
