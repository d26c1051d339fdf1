import { checkInLicense, extendLicenseConsumption } from "./borrowLifecycle";
import { checkoutBorrowLicense } from "./checkoutBorrowLicense";
import { createLicense } from "./createLicense";
import { getLicense } from "./getLicense";
import { getLicenseUsage } from "./getLicenseUsage";
import { listLicenses } from "./listLicenses";
import { createLicenseVersion, deleteLicense, listLicenseVersions } from "./sellerVersions";
import type { Operation } from "./types";

/** X-Amz-Target operation name → handler. */
export const operations: Record<string, Operation> = {
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
};
