import { isoSeconds } from "../clock";
import type { AuditRecord, CheckoutStatusRecord, LicenseRecord } from "../records/outbox";
import type { Caller } from "./contract";
import type { License } from "./model";
import type { BorrowRow, LicenseHeader } from "./storage";

/** Builders of the outbox records a license object writes beside its decisions. */

export function licenseRecord(
	header: LicenseHeader,
	doc: License,
	newVersion: boolean,
	now: number,
): LicenseRecord {
	return {
		kind: "license",
		arn: header.arn,
		licenseId: header.licenseId,
		issuerAccount: header.issuerAccount,
		beneficiary: doc.Beneficiary,
		beneficiaryAccount: header.beneficiaryAccount,
		productSku: doc.ProductSKU,
		fingerprint: doc.Issuer.KeyFingerprint,
		status: doc.Status,
		version: Number(doc.Version),
		homeRegion: doc.HomeRegion,
		createdAt: doc.CreateTime,
		updatedAt: isoSeconds(now),
		doc: JSON.stringify(doc),
		newVersion,
	};
}

/** One audit event per state change; its id is deterministic so a re-sent batch writes it once. */
export function auditRecord(
	caller: Caller,
	operation: string,
	resourceArn: string,
	now: number,
	detail: string | null,
): AuditRecord {
	return {
		kind: "audit",
		eventId: `${caller.requestId}:${operation}`,
		at: new Date(now).toISOString(),
		accountId: caller.accountId,
		accessKeyId: caller.accessKeyId,
		operation,
		resourceArn,
		requestId: caller.requestId,
		detail,
	};
}

/** Expiry has no caller: the event names the borrow's account and the alarm. */
export function expiryAuditRecord(
	borrow: BorrowRow,
	resourceArn: string,
	now: number,
): AuditRecord {
	return {
		kind: "audit",
		eventId: `expire:${borrow.token}`,
		at: new Date(now).toISOString(),
		accountId: borrow.accountId,
		accessKeyId: "-",
		operation: "ExpireBorrow",
		resourceArn,
		requestId: "-",
		detail: borrow.token,
	};
}

export function borrowStatusRecord(
	borrow: BorrowRow,
	status: CheckoutStatusRecord["status"],
	expiresAt: number,
	returnedAt: number | null,
): CheckoutStatusRecord {
	return {
		kind: "checkout-status",
		token: borrow.token,
		status,
		expiresAt: isoSeconds(expiresAt),
		returnedAt: returnedAt === null ? null : isoSeconds(returnedAt),
	};
}
