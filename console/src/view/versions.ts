import type { CreateLicenseVersionInput, License, LicenseStatus } from "../api/types";

/** Which status change the license page offers: deactivate an available license, reactivate a deactivated one. */
export function statusAction(
	status: LicenseStatus,
): { label: "Deactivate" | "Reactivate"; to: LicenseStatus; consequence: string } | null {
	if (status === "AVAILABLE") {
		return {
			label: "Deactivate",
			to: "DEACTIVATED",
			consequence: "New borrows will be refused; live borrows can still check in.",
		};
	}
	if (status === "DEACTIVATED") {
		return {
			label: "Reactivate",
			to: "AVAILABLE",
			consequence: "New borrows will be allowed again.",
		};
	}
	return null;
}

/**
 * A new version that changes only the status: everything else is copied from the
 * current version, which is named as SourceVersion so a concurrent change is a
 * ConflictException rather than silently overwritten. ProductSKU and Beneficiary are
 * not members of CreateLicenseVersion; the issuer's KeyFingerprint is the server's.
 */
export function statusVersionInput(
	license: License,
	Status: LicenseStatus,
	ClientToken: string,
): CreateLicenseVersionInput {
	const input: CreateLicenseVersionInput = {
		LicenseArn: license.LicenseArn,
		LicenseName: license.LicenseName,
		ProductName: license.ProductName,
		Issuer:
			license.Issuer.SignKey === undefined
				? { Name: license.Issuer.Name }
				: { Name: license.Issuer.Name, SignKey: license.Issuer.SignKey },
		HomeRegion: license.HomeRegion,
		Validity: license.Validity,
		Entitlements: license.Entitlements,
		ConsumptionConfiguration: license.ConsumptionConfiguration,
		Status,
		SourceVersion: license.Version,
		ClientToken,
	};
	if (license.LicenseMetadata) input.LicenseMetadata = license.LicenseMetadata;
	return input;
}
