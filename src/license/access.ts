import { fail, type Result, type WireError } from "../result";
import type { Caller, License } from "./model";
import { mayConsume } from "./reservation";
import type { LicenseHeader } from "./storage";

/** Who may see, consume or change a license (SPEC §2), given the object's header and current version. */

function missing(arn: string): { ok: false; error: WireError } {
	return fail("ResourceNotFoundException", `License ${arn} does not exist.`);
}

export function isDeleted(header: LicenseHeader): boolean {
	return header.status === "DELETED" || header.status === "PENDING_DELETE";
}

/** GetLicense / GetLicenseUsage / ListLicenseVersions: the issuer and the beneficiary, even after deletion. */
export function visibleLicense(
	header: LicenseHeader | null,
	current: License | null,
	caller: Caller,
	arn: string,
): Result<License> {
	if (!header || !current || header.arn !== arn) return missing(arn);
	if (!mayConsume(header.issuerAccount, header.beneficiaryAccount, caller.accountId)) {
		return fail("AccessDeniedException", "Access to this license is denied.");
	}
	return { ok: true, value: current };
}

/** Consumption operations: as `visibleLicense`, but a deleted license no longer exists. */
export function consumableLicense(
	header: LicenseHeader | null,
	current: License | null,
	caller: Caller,
	arn: string,
): Result<License> {
	if (!header || !current || header.arn !== arn) return missing(arn);
	if (isDeleted(header)) {
		return fail("ResourceNotFoundException", `License ${arn} does not exist: it was deleted.`);
	}
	return visibleLicense(header, current, caller, arn);
}

/** Seller operations: only the issuer may change a license. */
export function issuedLicense(
	header: LicenseHeader | null,
	current: License | null,
	caller: Caller,
	arn: string,
): Result<{ header: LicenseHeader; license: License }> {
	if (!header || !current || header.arn !== arn) return missing(arn);
	if (header.issuerAccount !== caller.accountId) {
		return fail("AccessDeniedException", "Only the issuer account can change this license.");
	}
	return { ok: true, value: { header, license: current } };
}
