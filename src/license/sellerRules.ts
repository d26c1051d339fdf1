import { isoSeconds } from "../clock";
import { type Failure, fail, limitExceeded, type Result } from "../result";
import { isDeleted } from "./access";
import type { CreateLicenseCommand, CreateVersionCommand } from "./contract";
import { documentSizeRefusal, type License, type LicenseHeader } from "./model";

/**
 * The rules of a license's seller (SPEC §3, §7, §11): creating it once, its versions,
 * its deletion. Pure: what the object holds comes in as arguments, and so does the time.
 */

/**
 * CreateLicense reaches the object its (account, ClientToken) names: if that object
 * already holds a license, the call is a retry — answered with the stored response,
 * or refused if its parameters differ. Null: nothing is created yet.
 */
export function createLicenseReplay(
	header: LicenseHeader | null,
	requestHash: string,
): Result<string> | null {
	if (!header) return null;
	if (header.createRequestHash !== requestHash) {
		return fail(
			"ValidationException",
			"ClientToken was already used to create a license with different parameters.",
		);
	}
	return { ok: true, value: header.createResponse };
}

/** SPEC §11 licenses per issuer account: the Worker counted them (in D1) and says if the limit is reached. */
export function accountLimitRefusal(cmd: CreateLicenseCommand): Failure | null {
	if (cmd.accountLicenseLimit === null) return null;
	return limitExceeded(
		"licenses per issuer account",
		cmd.accountLicenseLimit,
		"Delete licenses that are no longer needed before creating more.",
	);
}

export function licenseCreatedResponse(license: License): string {
	return JSON.stringify({
		LicenseArn: license.LicenseArn,
		Status: license.Status,
		Version: license.Version,
	});
}

/** CreateLicenseVersion's refusals, in order, before the new document is built. */
export function versionRefusal(
	header: LicenseHeader,
	license: License,
	cmd: CreateVersionCommand,
	versionsPerLicense: number,
): Failure | null {
	if (isDeleted(header)) {
		return fail("ConflictException", "License is DELETED; it can no longer change.");
	}
	if (cmd.sourceVersion !== undefined && cmd.sourceVersion !== license.Version) {
		return fail(
			"ConflictException",
			`SourceVersion ${cmd.sourceVersion} is not the current version (${license.Version}).`,
		);
	}
	if (cmd.changes.HomeRegion !== license.HomeRegion) {
		return fail("ValidationException", "HomeRegion cannot change in a new license version.");
	}
	if (cmd.changes.Status === "DELETED" || cmd.changes.Status === "PENDING_DELETE") {
		return fail("ValidationException", "Use DeleteLicense to delete a license.");
	}
	if (header.currentVersion >= versionsPerLicense) {
		return limitExceeded(
			"versions per license",
			versionsPerLicense,
			"Create a new license instead of another version.",
		);
	}
	return null;
}

/**
 * The next version's document: the request's members over the current ones, with
 * what cannot change (ARN, ProductSKU, Beneficiary) kept, then refused if it is
 * too large as stored (SPEC §11; the size includes what the request cannot change).
 */
export function nextVersion(
	license: License,
	changes: CreateVersionCommand["changes"],
	version: number,
	now: number,
	maxDocumentBytes: number,
): Result<License> {
	const doc: License = {
		...license,
		...changes,
		LicenseArn: license.LicenseArn,
		ProductSKU: license.ProductSKU,
		Beneficiary: license.Beneficiary,
		CreateTime: isoSeconds(now),
		Version: String(version),
	};
	if (!changes.LicenseMetadata) delete doc.LicenseMetadata;
	const tooLarge = documentSizeRefusal(doc, maxDocumentBytes);
	return tooLarge ? { ok: false, error: tooLarge } : { ok: true, value: doc };
}

export function versionCreatedResponse(doc: License): string {
	return JSON.stringify({ LicenseArn: doc.LicenseArn, Version: doc.Version, Status: doc.Status });
}

/** DeleteLicense of a deleted license answers as the deletion did (idempotent). */
export function deletionReplay(header: LicenseHeader): Result<string> | null {
	if (header.status !== "DELETED" || header.deletedAt === null) return null;
	return { ok: true, value: deletedResponse(header.deletedAt) };
}

/** DeleteLicense needs the current SourceVersion. */
export function deletionRefusal(license: License, sourceVersion: string): Failure | null {
	if (sourceVersion === license.Version) return null;
	return fail(
		"ConflictException",
		`SourceVersion ${sourceVersion} is not the current version (${license.Version}).`,
	);
}

/** DeleteLicense waits for live borrows (a checkout's counts from its decision, before signing) to end. */
export function liveBorrowsRefusal(liveBorrows: number): Failure | null {
	if (liveBorrows <= 0) return null;
	return fail(
		"ConflictException",
		`License has ${liveBorrows} live borrow(s); it can be deleted once they end.`,
	);
}

export function deletedResponse(at: number): string {
	return JSON.stringify({ Status: "DELETED", DeletionDate: isoSeconds(at) });
}
