import { checkoutBorrowLicense } from "./checkoutBorrowLicense";
import { createLicense } from "./createLicense";
import { getLicense } from "./getLicense";
import { getLicenseUsage } from "./getLicenseUsage";
import type { Operation } from "./types";

/** X-Amz-Target operation name → handler. */
export const operations: Record<string, Operation> = {
	CheckoutBorrowLicense: checkoutBorrowLicense,
	CreateLicense: createLicense,
	GetLicense: getLicense,
	GetLicenseUsage: getLicenseUsage,
};
