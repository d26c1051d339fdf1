/**
 * Every operation name the service knows, by target prefix. No imports: the
 * principal CLI (scripts/principal.mjs, plain Node) reads these lists too, so a
 * principal can be allowed exactly what the Worker serves.
 */

/** `X-Amz-Target: AWSLicenseManager.<name>` (SPEC §3). */
export const AWS_TARGET_PREFIX = "AWSLicenseManager.";
export const AWS_OPERATIONS = [
	"CheckoutBorrowLicense",
	"CheckInLicense",
	"ExtendLicenseConsumption",
	"CreateLicense",
	"GetLicense",
	"ListLicenses",
	"CreateLicenseVersion",
	"ListLicenseVersions",
	"DeleteLicense",
	"GetLicenseUsage",
] as const;

/** `X-Amz-Target: EdgeLicenseManager.<name>` (SPEC §8): a prefix no AWS SDK sends. */
export const EXTENSION_TARGET_PREFIX = "EdgeLicenseManager.";
export const EXTENSION_OPERATIONS = [
	"ListBorrows",
	"RevokeBorrow",
	"GetUsageHistory",
	"ListAuditEvents",
] as const;

export type AwsOperationName = (typeof AWS_OPERATIONS)[number];
export type ExtensionOperationName = (typeof EXTENSION_OPERATIONS)[number];

/** What a principal's operation list may name (besides "*"): one namespace for both prefixes. */
export const PRINCIPAL_OPERATIONS: readonly string[] = [...AWS_OPERATIONS, ...EXTENSION_OPERATIONS];
