/**
 * What the license object tells D1. Rows are written to the object's outbox in the
 * same transaction as the decision they record, then drained (records/d1.ts).
 */
export interface LicenseRecord {
	kind: "license";
	arn: string;
	licenseId: string;
	issuerAccount: string;
	beneficiary: string;
	beneficiaryAccount: string | null;
	productSku: string;
	fingerprint: string;
	status: string;
	version: number;
	homeRegion: string;
	createdAt: string;
	updatedAt: string;
	/** The License JSON of `version`. */
	doc: string;
	/** Whether `version` is new (insert its version and entitlement rows). */
	newVersion: boolean;
}

export interface CheckoutRecord {
	kind: "checkout";
	token: string;
	/** The borrow's public id (absent from records stored before it was carried). */
	borrowId?: string;
	licenseArn: string;
	accountId: string;
	accessKeyId: string;
	clientToken: string;
	nodeId: string | null;
	entitlements: string;
	issuedAt: string;
	expiresAt: string;
	requestId: string;
}

export interface CheckoutStatusRecord {
	kind: "checkout-status";
	token: string;
	status: "ACTIVE" | "CHECKED_IN" | "EXPIRED" | "REVOKED";
	expiresAt: string;
	returnedAt: string | null;
}

export interface AuditRecord {
	kind: "audit";
	eventId: string;
	at: string;
	accountId: string;
	accessKeyId: string;
	operation: string;
	resourceArn: string;
	requestId: string;
	detail: string | null;
}

export type OutboxRecord = LicenseRecord | CheckoutRecord | CheckoutStatusRecord | AuditRecord;
