import type { Call } from "./client";
import type {
	CreateLicenseInput,
	CreateLicenseVersionInput,
	GetLicenseUsageOutput,
	License,
	LicensePage,
	ListLicensesInput,
	VersionAnswer,
} from "./types";

const PREFIX = "AWSLicenseManager.";

/** The AWS operations the console uses; views take this interface, tests give fixtures. */
export interface LicenseManagerApi {
	listLicenses(input: ListLicensesInput): Promise<LicensePage>;
	getLicense(input: { LicenseArn: string; Version?: string }): Promise<{ License: License }>;
	getLicenseUsage(input: { LicenseArn: string }): Promise<GetLicenseUsageOutput>;
	listLicenseVersions(input: {
		LicenseArn: string;
		MaxResults?: number;
		NextToken?: string;
	}): Promise<LicensePage>;
	createLicense(input: CreateLicenseInput): Promise<VersionAnswer>;
	createLicenseVersion(input: CreateLicenseVersionInput): Promise<VersionAnswer>;
}

export function licenseManager(call: Call): LicenseManagerApi {
	return {
		listLicenses: (input) => call(`${PREFIX}ListLicenses`, input),
		getLicense: (input) => call(`${PREFIX}GetLicense`, input),
		getLicenseUsage: (input) => call(`${PREFIX}GetLicenseUsage`, input),
		listLicenseVersions: (input) => call(`${PREFIX}ListLicenseVersions`, input),
		createLicense: (input) => call(`${PREFIX}CreateLicense`, input),
		createLicenseVersion: (input) => call(`${PREFIX}CreateLicenseVersion`, input),
	};
}
