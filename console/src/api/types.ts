/**
 * The AWS License Manager shapes the console reads and sends (PascalCase, as on the
 * wire; `license-manager/2018-08-01`): the license's shapes from the service's model,
 * and the requests and replies around them (only the members the console uses).
 */

import type {
	ConsumptionConfiguration,
	Entitlement,
	License,
	LicenseStatus,
	Metadata,
} from "../../../src/license/model";

// The license's own shapes are the service's (one declaration, in its model).
export {
	type ConsumptionConfiguration,
	type Entitlement,
	LICENSE_STATUSES,
	type License,
	type LicenseStatus,
	type Metadata,
} from "../../../src/license/model";

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

/** An entitlement as sent: the unit is whatever the form holds, and the service judges it. */
export type EntitlementInput = Omit<Entitlement, "Unit"> & { Unit: string };

/** What CreateLicense and CreateLicenseVersion share. */
export interface LicenseBodyInput {
	LicenseName: string;
	ProductName: string;
	Issuer: { Name: string; SignKey?: string };
	HomeRegion: string;
	Validity: { Begin: string; End?: string };
	Entitlements: EntitlementInput[];
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
