import type { Caller, License, LicenseStatus, Metadata } from "./model";
import type { RequestedEntitlement } from "./reservation";

/** What the Worker sends the license object: validated, with the caller attached for audit. */

export interface CheckoutCommand {
	caller: Caller;
	licenseArn: string;
	clientToken: string;
	/** SHA-256 of the canonical request: same token + same hash = replay. */
	requestHash: string;
	entitlements: RequestedEntitlement[];
	nodeId?: string;
	checkoutMetadata?: Metadata[];
}

export interface CreateVersionCommand {
	caller: Caller;
	arn: string;
	clientToken: string;
	requestHash: string;
	sourceVersion?: string;
	/** The new version's members; the object adds what cannot change and the version number. */
	changes: Pick<
		License,
		| "LicenseName"
		| "ProductName"
		| "Issuer"
		| "HomeRegion"
		| "Validity"
		| "Entitlements"
		| "ConsumptionConfiguration"
		| "LicenseMetadata"
	> & { Status: LicenseStatus };
}

export interface CreateLicenseCommand {
	caller: Caller;
	requestHash: string;
	license: License;
	licenseId: string;
	beneficiaryAccount: string | null;
	/**
	 * The account's licenses-per-account limit when it is already reached (else
	 * null): the object then creates nothing new but still answers a retry.
	 */
	accountLicenseLimit: number | null;
}
