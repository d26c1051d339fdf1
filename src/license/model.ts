import { jsonLength } from "../encoding";
import type { WireError } from "../result";

/**
 * The license object's vocabulary, and the shapes of the AWS model it stores and
 * returns (PascalCase, as on the wire).
 *
 * - **license**: one AWS License Manager license. Its versions are immutable
 *   documents (`License`); its current version and status live in the object's
 *   header (`LicenseHeader`), so DeleteLicense changes the status without a version.
 * - **borrow**: one successful CheckoutBorrowLicense — what one account holds of one
 *   license until it is checked in or expires (`Borrow`, `BorrowStatus`).
 * - **lease**: one entitlement's quantity within a borrow (`Lease`). A borrow holds
 *   a lease for every entitlement it asked for, or none (no partial checkouts).
 * - **consumption token**: the `LicenseConsumptionToken` a checkout answers. It names
 *   the borrow and is a credential: the license's id (so it leads to the object
 *   without a lookup) then 128 random bits (src/licenseIds.ts).
 * - **BorrowId**: SPEC §8's public id of a borrow, the signed token's `jti`, derived
 *   from the consumption token (src/borrowId.ts) but not a credential: ListBorrows,
 *   RevokeBorrow, the audit trail and the revocation list name borrows by it.
 *   (Tokens signed before it existed carry the consumption token as `jti`.)
 * - **lease end** (`expiresAt`) and **token expiry** (`tokenExp`): a borrow holds its
 *   quantities until the lease end, which ExtendLicenseConsumption moves; its signed
 *   token verifies offline until the `exp` signed at checkout, which never moves. The
 *   revocation list (SPEC §9) holds a borrow until its token expiry.
 * - **outbox record**: a fact the object decided that D1 must copy (shapes in
 *   src/records/outbox.ts, built in ./outbox.ts). It is written in the same
 *   transaction as the decision and sent to D1 later, by the alarm or by the seller
 *   operation that waits for it.
 */

export const ENTITLEMENT_UNITS = [
	"Count",
	"None",
	"Seconds",
	"Microseconds",
	"Milliseconds",
	"Bytes",
	"Kilobytes",
	"Megabytes",
	"Gigabytes",
	"Terabytes",
	"Bits",
	"Kilobits",
	"Megabits",
	"Gigabits",
	"Terabits",
	"Percent",
	"Bytes/Second",
	"Kilobytes/Second",
	"Megabytes/Second",
	"Gigabytes/Second",
	"Terabytes/Second",
	"Bits/Second",
	"Kilobits/Second",
	"Megabits/Second",
	"Gigabits/Second",
	"Terabits/Second",
	"Count/Second",
] as const;
export type EntitlementUnit = (typeof ENTITLEMENT_UNITS)[number];

export const LICENSE_STATUSES = [
	"AVAILABLE",
	"PENDING_AVAILABLE",
	"DEACTIVATED",
	"SUSPENDED",
	"EXPIRED",
	"PENDING_DELETE",
	"DELETED",
] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

export const RENEW_TYPES = ["None", "Weekly", "Monthly"] as const;

export interface Entitlement {
	Name: string;
	Unit: EntitlementUnit;
	Value?: string;
	MaxCount?: number;
	Overage?: boolean;
	AllowCheckIn?: boolean;
}

export interface Metadata {
	Name: string;
	Value: string;
}

export interface ConsumptionConfiguration {
	RenewType?: string;
	ProvisionalConfiguration?: { MaxTimeToLiveInMinutes: number };
	BorrowConfiguration?: { AllowEarlyCheckIn: boolean; MaxTimeToLiveInMinutes: number };
}

/** One immutable version of a license, exactly as GetLicense returns it. */
export interface License {
	LicenseArn: string;
	LicenseName: string;
	ProductName: string;
	ProductSKU: string;
	Issuer: { Name: string; SignKey?: string; KeyFingerprint: string };
	HomeRegion: string;
	Status: LicenseStatus;
	Validity: { Begin: string; End?: string };
	Beneficiary: string;
	Entitlements: Entitlement[];
	ConsumptionConfiguration: ConsumptionConfiguration;
	LicenseMetadata?: Metadata[];
	CreateTime: string;
	Version: string;
}

/** A borrowed quantity. `quantity` is 0 for `None`-unit entitlements. */
export interface Lease {
	name: string;
	unit: EntitlementUnit;
	/** What the token and response carry: the leased amount, or the license's Value for `None`. */
	value: string | undefined;
	quantity: number;
}

export function isCounted(unit: EntitlementUnit): boolean {
	return unit !== "None";
}

/** A license as its object holds it, besides its versions. */
export interface LicenseHeader {
	arn: string;
	licenseId: string;
	issuerAccount: string;
	/** The first 12-digit account id in `Beneficiary`, if any (./access.ts). */
	beneficiaryAccount: string | null;
	currentVersion: number;
	status: string;
	/** CreateLicense's request hash and exact response: its retries are answered from these. */
	createRequestHash: string;
	createResponse: string;
	deletedAt: number | null;
}

export type BorrowStatus = "ACTIVE" | "CHECKED_IN" | "EXPIRED" | "REVOKED";

export interface Borrow {
	/** The consumption token. */
	token: string;
	/** The public id (the token's `jti`). */
	borrowId: string;
	accountId: string;
	nodeId: string | null;
	clientToken: string;
	status: BorrowStatus;
	issuedAt: number;
	/** The server-side Expiration; ExtendLicenseConsumption moves it. */
	expiresAt: number;
	/** When it ended: the check-in time, the revocation time, or the expiration for an expired borrow. */
	returnedAt: number | null;
	/** The signed token's `exp` (ms): fixed at checkout, unlike `expiresAt`. */
	tokenExp: number;
	/** When the issuer revoked it (RevokeBorrow answers this again on a repeat). */
	revokedAt: number | null;
	/** RevokeBorrow's `Reason`, if the issuer gave one. */
	revokeReason: string | null;
	leases: Lease[];
}

/**
 * SPEC §11: a license document is stored in the object, copied to D1 per version and
 * returned by every read, so one that is too large is bad input (ValidationException),
 * refused before anything is stored — by the Worker for CreateLicense, by the object
 * for a new version (measured on the document as stored).
 */
export function documentSizeRefusal(doc: License, maxBytes: number): WireError | null {
	const bytes = jsonLength(doc);
	if (bytes <= maxBytes) return null;
	return {
		type: "ValidationException",
		message: `1 validation error detected: The license document is ${bytes} bytes serialised; it must be at most ${maxBytes} bytes (entitlements, metadata and names together).`,
	};
}
