/**
 * The AWS License Manager shapes the console reads and sends (PascalCase, as on the
 * wire; `license-manager/2018-08-01`). Only the members the console uses.
 */

export type LicenseStatus =
	| "AVAILABLE"
	| "PENDING_AVAILABLE"
	| "DEACTIVATED"
	| "SUSPENDED"
	| "EXPIRED"
	| "PENDING_DELETE"
	| "DELETED";

export const LICENSE_STATUSES: readonly LicenseStatus[] = [
	"AVAILABLE",
	"PENDING_AVAILABLE",
	"DEACTIVATED",
	"SUSPENDED",
	"EXPIRED",
	"PENDING_DELETE",
	"DELETED",
];

export interface Entitlement {
	Name: string;
	Unit: string;
	Value?: string;
	MaxCount?: number;
	Overage?: boolean;
	AllowCheckIn?: boolean;
}

export interface Metadata {
	Name: string;
	Value: string;
}

export interface BorrowConfiguration {
	AllowEarlyCheckIn: boolean;
	MaxTimeToLiveInMinutes: number;
}

export interface ConsumptionConfiguration {
	RenewType?: string;
	ProvisionalConfiguration?: { MaxTimeToLiveInMinutes: number };
	BorrowConfiguration?: BorrowConfiguration;
}

export interface License {
	LicenseArn: string;
	LicenseName: string;
	ProductName: string;
	ProductSKU: string;
	Issuer: { Name: string; SignKey?: string; KeyFingerprint?: string };
	HomeRegion: string;
	Status: LicenseStatus;
	Validity: { Begin: string; End?: string };
	Beneficiary: string;
	Entitlements: Entitlement[];
	ConsumptionConfiguration: ConsumptionConfiguration;
	LicenseMetadata?: Metadata[];
	CreateTime?: string;
	Version: string;
}

/** `ConsumedValue` and `MaxCount` are strings on the wire (unlike Entitlement.MaxCount). */
export interface EntitlementUsage {
	Name: string;
	ConsumedValue: string;
	MaxCount?: string;
	Unit: string;
}

export interface Filter {
	Name: "Beneficiary" | "ProductSKU" | "Fingerprint" | "Status";
	Values: string[];
}

export interface ListLicensesInput {
	LicenseArns?: string[];
	Filters?: Filter[];
	MaxResults?: number;
	NextToken?: string;
}

export interface LicensePage {
	Licenses: License[];
	NextToken?: string;
}

export interface GetLicenseUsageOutput {
	LicenseUsage: { EntitlementUsages?: EntitlementUsage[] };
}

/** What CreateLicense and CreateLicenseVersion share. */
export interface LicenseBodyInput {
	LicenseName: string;
	ProductName: string;
	Issuer: { Name: string; SignKey?: string };
	HomeRegion: string;
	Validity: { Begin: string; End?: string };
	Entitlements: Entitlement[];
	ConsumptionConfiguration: ConsumptionConfiguration;
	LicenseMetadata?: Metadata[];
	ClientToken: string;
}

export interface CreateLicenseInput extends LicenseBodyInput {
	ProductSKU: string;
	Beneficiary: string;
}

export interface CreateLicenseVersionInput extends LicenseBodyInput {
	LicenseArn: string;
	Status: LicenseStatus;
	SourceVersion?: string;
}

/** Both CreateLicense and CreateLicenseVersion answer these three. */
export interface VersionAnswer {
	LicenseArn: string;
	Status: LicenseStatus;
	Version: string;
}
