import type { CreateLicenseCommandInput } from "@aws-sdk/client-license-manager";

let counter = 0;

/** A unique ClientToken per call, so each test file's licenses are its own. */
export function uniqueToken(prefix = "t"): string {
	counter += 1;
	return `${prefix}${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 8)}`;
}

export function licenseInput(
	overrides: Partial<CreateLicenseCommandInput> = {},
): CreateLicenseCommandInput {
	return {
		LicenseName: "Test license",
		ProductName: "Test product",
		ProductSKU: "SKU-1",
		Issuer: { Name: "Test Issuer" },
		HomeRegion: "us-east-1",
		Validity: { Begin: "2020-01-01T00:00:00Z", End: "2099-01-01T00:00:00Z" },
		Entitlements: [
			{ Name: "Seats", Unit: "Count", MaxCount: 7 },
			{ Name: "Hours", Unit: "Seconds", MaxCount: 3600 },
			{ Name: "Tier", Unit: "None", Value: "Enterprise" },
		],
		Beneficiary: "My Beneficiary",
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
		},
		ClientToken: uniqueToken("create"),
		...overrides,
	};
}
