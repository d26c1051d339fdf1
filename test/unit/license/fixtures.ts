import type { Caller } from "../../../src/license/contract";
import type { Borrow, License, LicenseHeader } from "../../../src/license/model";

/** Plain values for the license object's pure rules: no storage, no HTTP. */

export const ISSUER = "111111111111";
export const BENEFICIARY = "222222222222";
export const STRANGER = "333333333333";
export const ARN =
	"arn:aws:license-manager::111111111111:license:l-0123456789abcdef0123456789abcdef";
export const T0 = Date.parse("2030-01-01T00:00:00Z");

export function caller(accountId: string): Caller {
	return { accountId, accessKeyId: `AKIA${accountId}`, requestId: `req-${accountId}` };
}

export function license(overrides: Partial<License> = {}): License {
	return {
		LicenseArn: ARN,
		LicenseName: "Seats",
		ProductName: "Product",
		ProductSKU: "SKU-1",
		Issuer: { Name: "Issuer", KeyFingerprint: "fp" },
		HomeRegion: "us-east-1",
		Status: "AVAILABLE",
		Validity: { Begin: "2029-01-01T00:00:00Z" },
		Beneficiary: BENEFICIARY,
		Entitlements: [
			{ Name: "Seats", Unit: "Count", MaxCount: 10 },
			{ Name: "Tier", Unit: "None", Value: "gold" },
		],
		ConsumptionConfiguration: {
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
		},
		CreateTime: "2029-01-01T00:00:00Z",
		Version: "1",
		...overrides,
	};
}

export function header(overrides: Partial<LicenseHeader> = {}): LicenseHeader {
	return {
		arn: ARN,
		licenseId: "l-0123456789abcdef0123456789abcdef",
		issuerAccount: ISSUER,
		beneficiaryAccount: BENEFICIARY,
		currentVersion: 1,
		status: "AVAILABLE",
		createRequestHash: "hash-1",
		createResponse: '{"created":true}',
		deletedAt: null,
		...overrides,
	};
}

export function borrow(overrides: Partial<Borrow> = {}): Borrow {
	return {
		token: "l-0123456789abcdef0123456789abcdef.token",
		borrowId: "b-0123456789abcdef0123456789abcdef",
		accountId: BENEFICIARY,
		nodeId: null,
		clientToken: "ct-1",
		status: "ACTIVE",
		issuedAt: T0,
		expiresAt: T0 + 3_600_000,
		returnedAt: null,
		tokenExp: T0 + 3_600_000,
		revokedAt: null,
		revokeReason: null,
		leases: [{ name: "Seats", unit: "Count", value: "2", quantity: 2 }],
		...overrides,
	};
}
