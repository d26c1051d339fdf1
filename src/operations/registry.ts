import { checkInLicense, extendLicenseConsumption } from "./borrowLifecycle";
import { checkoutBorrowLicense } from "./checkoutBorrowLicense";
import { createLicense } from "./createLicense";
import { getLicense } from "./getLicense";
import { getLicenseUsage } from "./getLicenseUsage";
import { getUsageHistory } from "./getUsageHistory";
import { listAuditEvents } from "./listAuditEvents";
import { listBorrows } from "./listBorrows";
import { listLicenses } from "./listLicenses";
import {
	AWS_TARGET_PREFIX,
	type AwsOperationName,
	EXTENSION_TARGET_PREFIX,
	type ExtensionOperationName,
} from "./names";
import { revokeBorrow } from "./revokeBorrow";
import { createLicenseVersion, deleteLicense, listLicenseVersions } from "./sellerVersions";
import type { Operation } from "./types";

/** `AWSLicenseManager.<name>` → handler (SPEC §3): every name in AWS_OPERATIONS, no other. */
export const operations: Readonly<Record<string, Operation>> = {
	CheckInLicense: checkInLicense,
	CheckoutBorrowLicense: checkoutBorrowLicense,
	CreateLicense: createLicense,
	CreateLicenseVersion: createLicenseVersion,
	DeleteLicense: deleteLicense,
	ExtendLicenseConsumption: extendLicenseConsumption,
	GetLicense: getLicense,
	GetLicenseUsage: getLicenseUsage,
	ListLicenses: listLicenses,
	ListLicenseVersions: listLicenseVersions,
} satisfies Record<AwsOperationName, Operation>;

/** `EdgeLicenseManager.<name>` → handler (SPEC §8): every name in EXTENSION_OPERATIONS, no other. */
export const extensionOperations: Readonly<Record<string, Operation>> = {
	GetUsageHistory: getUsageHistory,
	ListAuditEvents: listAuditEvents,
	ListBorrows: listBorrows,
	RevokeBorrow: revokeBorrow,
} satisfies Record<ExtensionOperationName, Operation>;

/**
 * The handler of an `X-Amz-Target` and the name a principal's operation list must
 * allow, or undefined. Each prefix has its own table, so an AWS name under the
 * extension prefix (or the reverse) is unknown rather than served.
 */
export function resolveTarget(target: string): { name: string; handler: Operation } | undefined {
	const lookup = (table: Readonly<Record<string, Operation>>, prefix: string) => {
		if (!target.startsWith(prefix)) return undefined;
		const name = target.slice(prefix.length);
		const handler = Object.hasOwn(table, name) ? table[name] : undefined;
		return handler ? { name, handler } : undefined;
	};
	return (
		lookup(operations, AWS_TARGET_PREFIX) ?? lookup(extensionOperations, EXTENSION_TARGET_PREFIX)
	);
}
