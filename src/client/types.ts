/**
 * The extension operations' shapes (SPEC §8), as sent and received. Member names are
 * PascalCase as on the wire; times are ISO-8601 UTC strings.
 */

export type BorrowStatus = "ACTIVE" | "CHECKED_IN" | "EXPIRED" | "REVOKED";

export interface BorrowedEntitlement {
	Name: string;
	Unit: string;
	Value?: string;
}

export interface Borrow {
	/** The borrow's public id: the token's `jti`, never its consumption token. */
	BorrowId: string;
	Account: string;
	NodeId?: string;
	EntitlementsAllowed: BorrowedEntitlement[];
	IssuedAt: string;
	Expiration: string;
	Status: BorrowStatus;
	EndedAt?: string;
	/** A REVOKED borrow: when the issuer revoked it, and the `Reason` it gave, if any. */
	RevokedAt?: string;
	RevokeReason?: string;
}

export interface ListBorrowsInput {
	LicenseArn: string;
	Status?: BorrowStatus;
	NodeId?: string;
	/** 1–100. */
	MaxResults?: number;
	NextToken?: string;
}

export interface ListBorrowsOutput {
	Borrows: Borrow[];
	NextToken?: string;
}

export interface RevokeBorrowInput {
	LicenseArn: string;
	BorrowId: string;
	/** At most 256 printable characters. */
	Reason?: string;
}

export interface RevokeBorrowOutput {
	BorrowId: string;
	Status: "REVOKED";
	RevokedAt: string;
}

export type Granularity = "HOUR" | "DAY";

export interface GetUsageHistoryInput {
	LicenseArn: string;
	/** Default: 7 days of buckets before End. */
	Start?: string;
	/** Default: now. */
	End?: string;
	/** Default HOUR. */
	Granularity?: Granularity;
}

export interface UsagePoint {
	/** The bucket's start (a whole UTC hour or day). */
	Time: string;
	/** The most of the entitlement consumed at once during the bucket. */
	PeakConsumed: number;
	/** Borrows of the entitlement that started in the bucket. */
	Checkouts: number;
}

export interface EntitlementUsageHistory {
	Name: string;
	Unit: string;
	Points: UsagePoint[];
}

export interface GetUsageHistoryOutput {
	/** One per counted entitlement of the license's current version, in its order. */
	Entitlements: EntitlementUsageHistory[];
}

export interface ListAuditEventsInput {
	LicenseArn?: string;
	Operation?: string;
	/** Inclusive. */
	Start?: string;
	/** Exclusive. */
	End?: string;
	/** 1–100, default 100. */
	MaxResults?: number;
	NextToken?: string;
}

export interface AuditEvent {
	Time: string;
	Operation: string;
	Account: string;
	/** "-" for an event without a request (ExpireBorrow). */
	AccessKeyId: string;
	LicenseArn?: string;
	BorrowId?: string;
	/** "-" for an event without a request (ExpireBorrow). */
	RequestId: string;
}

export interface ListAuditEventsOutput {
	Events: AuditEvent[];
	NextToken?: string;
}

/** Operation name → its request and response. */
export interface ExtensionOperations {
	ListBorrows: { input: ListBorrowsInput; output: ListBorrowsOutput };
	RevokeBorrow: { input: RevokeBorrowInput; output: RevokeBorrowOutput };
	GetUsageHistory: { input: GetUsageHistoryInput; output: GetUsageHistoryOutput };
	ListAuditEvents: { input: ListAuditEventsInput; output: ListAuditEventsOutput };
}
