/** Shapes of the AWS model that the license object stores and returns (PascalCase, as on the wire). */

export const ENTITLEMENT_UNITS = [
	"Count",
	"None",
	"Seconds",
	"Microseconds",
	"Milliseconds",
	"Bytes",
	"Kilobytes",
	"Megabytes",
	"Gigabytes",
	"Terabytes",
	"Bits",
	"Kilobits",
	"Megabits",
	"Gigabits",
	"Terabits",
	"Percent",
	"Bytes/Second",
	"Kilobytes/Second",
	"Megabytes/Second",
	"Gigabytes/Second",
	"Terabytes/Second",
	"Bits/Second",
	"Kilobits/Second",
	"Megabits/Second",
	"Gigabits/Second",
	"Terabits/Second",
	"Count/Second",
] as const;
export type EntitlementUnit = (typeof ENTITLEMENT_UNITS)[number];

export const LICENSE_STATUSES = [
	"AVAILABLE",
	"PENDING_AVAILABLE",
	"DEACTIVATED",
	"SUSPENDED",
	"EXPIRED",
	"PENDING_DELETE",
	"DELETED",
] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

export const RENEW_TYPES = ["None", "Weekly", "Monthly"] as const;

export interface Entitlement {
	Name: string;
	Unit: EntitlementUnit;
	Value?: string;
	MaxCount?: number;
	Overage?: boolean;
	AllowCheckIn?: boolean;
}

export interface Metadata {
	Name: string;
	Value: string;
}

export interface ConsumptionConfiguration {
	RenewType?: string;
	ProvisionalConfiguration?: { MaxTimeToLiveInMinutes: number };
	BorrowConfiguration?: { AllowEarlyCheckIn: boolean; MaxTimeToLiveInMinutes: number };
}

/** One immutable version of a license, exactly as GetLicense returns it. */
export interface License {
	LicenseArn: string;
	LicenseName: string;
	ProductName: string;
	ProductSKU: string;
	Issuer: { Name: string; SignKey?: string; KeyFingerprint: string };
	HomeRegion: string;
	Status: LicenseStatus;
	Validity: { Begin: string; End?: string };
	Beneficiary: string;
	Entitlements: Entitlement[];
	ConsumptionConfiguration: ConsumptionConfiguration;
	LicenseMetadata?: Metadata[];
	CreateTime: string;
	Version: string;
}

/** A borrowed quantity. `quantity` is 0 for `None`-unit entitlements. */
export interface Lease {
	name: string;
	unit: EntitlementUnit;
	/** What the token and response carry: the leased amount, or the license's Value for `None`. */
	value: string | undefined;
	quantity: number;
}

export function isCounted(unit: EntitlementUnit): boolean {
	return unit !== "None";
}
