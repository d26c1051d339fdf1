import { type Failure, fail, type Result } from "../result";
import type { Caller } from "./contract";
import type { Borrow, License, LicenseHeader } from "./model";

/**
 * Who may see, consume or change a license (SPEC §2), given the object's header and
 * current version. Pure: no storage, no clock.
 */

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

export function isDeleted(header: LicenseHeader): boolean {
	return header.status === "DELETED" || header.status === "PENDING_DELETE";
}

/** The license `arn` names, if this object holds it; else ResourceNotFound. */
function held(
	header: LicenseHeader | null,
	current: License | null,
	arn: string,
): Result<{ header: LicenseHeader; license: License }> {
	if (!header || !current || header.arn !== arn) {
		return fail("ResourceNotFoundException", `License ${arn} does not exist.`);
	}
	return { ok: true, value: { header, license: current } };
}

function denied(header: LicenseHeader, caller: Caller): Failure | null {
	if (mayConsume(header.issuerAccount, header.beneficiaryAccount, caller.accountId)) return null;
	return fail("AccessDeniedException", "Access to this license is denied.");
}

/** GetLicense / GetLicenseUsage / ListLicenseVersions: the issuer and the beneficiary, even after deletion. */
export function visibleLicense(
	header: LicenseHeader | null,
	current: License | null,
	caller: Caller,
	arn: string,
): Result<License> {
	return readable(header, current, caller, arn, false);
}

/** Consumption operations: as `visibleLicense`, but a deleted license no longer exists. */
export function consumableLicense(
	header: LicenseHeader | null,
	current: License | null,
	caller: Caller,
	arn: string,
): Result<License> {
	return readable(header, current, caller, arn, true);
}

function readable(
	header: LicenseHeader | null,
	current: License | null,
	caller: Caller,
	arn: string,
	deletedIsMissing: boolean,
): Result<License> {
	const found = held(header, current, arn);
	if (!found.ok) return found;
	if (deletedIsMissing && isDeleted(found.value.header)) {
		return fail("ResourceNotFoundException", `License ${arn} does not exist: it was deleted.`);
	}
	return denied(found.value.header, caller) ?? { ok: true, value: found.value.license };
}

/** Seller operations: only the issuer may change a license. */
export function issuedLicense(
	header: LicenseHeader | null,
	current: License | null,
	caller: Caller,
	arn: string,
): Result<{ header: LicenseHeader; license: License }> {
	const found = held(header, current, arn);
	if (!found.ok) return found;
	if (found.value.header.issuerAccount !== caller.accountId) {
		return fail("AccessDeniedException", "Only the issuer account can change this license.");
	}
	return found;
}

/**
 * CheckIn / Extend: a borrow of the caller's. Anyone else's token is indistinguishable
 * from an unknown one (SPEC §2: no oracle).
 */
export function ownBorrow(
	header: LicenseHeader | null,
	current: License | null,
	borrow: Borrow | null,
	caller: Caller,
): Result<{ borrow: Borrow; license: License }> {
	if (!header || !current || !borrow || borrow.accountId !== caller.accountId) {
		return fail("ResourceNotFoundException", "License consumption token not found.");
	}
	if (isDeleted(header)) {
		return fail(
			"ResourceNotFoundException",
			"License consumption token not found: its license was deleted.",
		);
	}
	return { ok: true, value: { borrow, license: current } };
}
