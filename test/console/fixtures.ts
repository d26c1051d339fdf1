import { ServiceError } from "../../console/src/api/errors";
import type { Borrow, ExtensionApi } from "../../console/src/api/extension";
import type { License } from "../../console/src/api/types";

export const ARN =
	"arn:aws:license-manager::111122223333:license:l-0123456789abcdef0123456789abcdef";

/** The demo license `npm start` creates, as GetLicense returns it. */
export const demoLicense: License = {
	LicenseArn: ARN,
	LicenseName: "Demo license",
	ProductName: "Demo Product",
	ProductSKU: "DEMO-SKU-1",
	Issuer: {
		Name: "Demo Issuer",
		KeyFingerprint: "aws:111122223333:Demo Issuer:issuer-fingerprint",
	},
	HomeRegion: "us-east-1",
	Status: "AVAILABLE",
	Validity: { Begin: "2024-01-01T00:00:00Z", End: "2099-12-31T00:00:00Z" },
	Beneficiary: "My Beneficiary",
	Entitlements: [
		{ Name: "Seats", Unit: "Count", MaxCount: 10 },
		{ Name: "Tier", Unit: "None", Value: "Pro" },
	],
	ConsumptionConfiguration: {
		RenewType: "None",
		BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
	},
	CreateTime: "2026-01-01T00:00:00Z",
	Version: "1",
};

/** SPEC §8 ListBorrows items. */
export const activeBorrow: Borrow = {
	BorrowId: "b-active-1",
	Account: "444455556666",
	NodeId: "laptop-7",
	EntitlementsAllowed: [
		{ Name: "Seats", Unit: "Count", Value: "2" },
		{ Name: "Tier", Unit: "None", Value: "Pro" },
	],
	IssuedAt: "2026-11-30T10:00:00Z",
	Expiration: "2026-11-30T11:00:00Z",
	Status: "ACTIVE",
};

export const expiredBorrow: Borrow = {
	BorrowId: "b-expired-1",
	Account: "111122223333",
	EntitlementsAllowed: [{ Name: "Seats", Unit: "Count", Value: "1" }],
	IssuedAt: "2026-11-29T10:00:00Z",
	Expiration: "2026-11-29T11:00:00Z",
	Status: "EXPIRED",
	EndedAt: "2026-11-29T11:00:00Z",
};

export const unknownOperation = (op: string) =>
	new ServiceError(
		"UnknownOperationException",
		`Unknown operation "EdgeLicenseManager.${op}".`,
		400,
	);

/** Every extension operation answering as a server without them does. */
export function serverWithoutExtensions(): ExtensionApi {
	return {
		listBorrows: () => Promise.reject(unknownOperation("ListBorrows")),
		revokeBorrow: () => Promise.reject(unknownOperation("RevokeBorrow")),
		getUsageHistory: () => Promise.reject(unknownOperation("GetUsageHistory")),
		listAuditEvents: () => Promise.reject(unknownOperation("ListAuditEvents")),
	};
}
