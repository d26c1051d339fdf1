import type { Call } from "./client";

/**
 * The extension operations of SPEC §8 (`EdgeLicenseManager.<Op>`), typed from the
 * spec's shapes. A server without them answers UnknownOperationException, and the
 * console then says the view is not available on that server.
 */

export type BorrowStatus = "ACTIVE" | "CHECKED_IN" | "EXPIRED" | "REVOKED";

export interface Borrow {
	BorrowId: string;
	Account: string;
	NodeId?: string;
	EntitlementsAllowed: { Name: string; Unit: string; Value?: string }[];
	IssuedAt: string;
	Expiration: string;
	Status: BorrowStatus;
	EndedAt?: string;
}

export interface ListBorrowsInput {
	LicenseArn: string;
	Status?: BorrowStatus;
	NodeId?: string;
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
	Start?: string;
	End?: string;
	Granularity?: Granularity;
}

export interface UsagePoint {
	Time: string;
	PeakConsumed: number | string;
	Checkouts: number | string;
}

/**
 * SPEC §8 names the points ("for each counted entitlement, points {Time,
 * PeakConsumed, Checkouts}") but not the members around them; this is the shape the
 * console reads: one entry per counted entitlement, in the style of GetLicenseUsage's
 * EntitlementUsages. Align here if the server's shape differs.
 */
export interface EntitlementUsageHistory {
	Name: string;
	Unit: string;
	Points: UsagePoint[];
}

export interface GetUsageHistoryOutput {
	Entitlements: EntitlementUsageHistory[];
}

export interface ListAuditEventsInput {
	LicenseArn?: string;
	Operation?: string;
	Start?: string;
	End?: string;
	MaxResults?: number;
	NextToken?: string;
}

export interface AuditEvent {
	Time: string;
	Operation: string;
	Account: string;
	AccessKeyId: string;
	LicenseArn?: string;
	BorrowId?: string;
	RequestId: string;
}

export interface ListAuditEventsOutput {
	Events: AuditEvent[];
	NextToken?: string;
}

export interface ExtensionApi {
	listBorrows(input: ListBorrowsInput): Promise<ListBorrowsOutput>;
	revokeBorrow(input: RevokeBorrowInput): Promise<RevokeBorrowOutput>;
	getUsageHistory(input: GetUsageHistoryInput): Promise<GetUsageHistoryOutput>;
	listAuditEvents(input: ListAuditEventsInput): Promise<ListAuditEventsOutput>;
}

const PREFIX = "EdgeLicenseManager.";

export function extensionOperations(call: Call): ExtensionApi {
	return {
		listBorrows: (input) => call(`${PREFIX}ListBorrows`, input),
		revokeBorrow: (input) => call(`${PREFIX}RevokeBorrow`, input),
		getUsageHistory: (input) => call(`${PREFIX}GetUsageHistory`, input),
		listAuditEvents: (input) => call(`${PREFIX}ListAuditEvents`, input),
	};
}
