import { fail, type Result, type WireError } from "../result";
import type { Caller } from "./contract";
import type { License } from "./model";
import type { LicenseHeader } from "./storage";

/** Who may see, consume or change a license (SPEC §2), given the object's header and current version. */

/** The issuer, and the account named in Beneficiary (if it names one), may consume. */
export function mayConsume(
	issuerAccount: string,
	beneficiaryAccount: string | null,
	account: string,
): boolean {
	return (
		account === issuerAccount || (beneficiaryAccount !== null && account === beneficiaryAccount)
	);
}

const ACCOUNT_ID = /(?<!\d)\d{12}(?!\d)/;

/** `Beneficiary` is any string; the first 12-digit account id in it, if any, is the beneficiary account. */
export function beneficiaryAccountOf(beneficiary: string): string | null {
	return ACCOUNT_ID.exec(beneficiary)?.[0] ?? null;
}

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
