import type { Borrow as WireBorrow } from "../client/types";
import { isoSeconds } from "../clock";
import { type Failure, fail, limitExceeded, type Result, type WireError } from "../result";
import { type BorrowPolicy, borrowPolicyOf, MAX_PER_ACCOUNT, MAX_PER_NODE } from "./borrowPolicy";
import type { RequestedEntitlement } from "./contract";
import { type Borrow, isCounted, type Lease, type License } from "./model";

/**
 * The rules of a borrow (SPEC §4): whether the license lends now, what fits, when a
 * borrow ends, when it may be checked in or extended. Pure: what the object holds
 * comes in as arguments, and so does the time.
 */

/**
 * What a license's borrows hold at the moment of a decision. A checkout is committed
 * before its token is signed, so every decided borrow counts against every limit
 * and a burst cannot pass one. The borrow policy (SPEC §10) reads the per-node and
 * per-account counts, and is
 * decided by `planBorrow` in the same synchronous step as capacity.
 */
export interface Holdings {
	/** Units of an entitlement held by live borrows. */
	units(entitlement: string): number;
	/** Live borrows (SPEC §11 live borrows per license). */
	borrows: number;
	/** Live borrows of one NodeId. */
	nodeBorrows(nodeId: string): number;
	/** Live borrows of one borrowing account. */
	accountBorrows(accountId: string): number;
}

/** Who would hold the borrow: what the per-node and per-account policies count by. */
export interface Borrower {
	accountId: string;
	nodeId?: string | undefined;
}

/** SPEC §4 step 6: the license must be AVAILABLE, valid now, and lend at all. */
export function borrowRefusal(license: License, now: number): WireError | null {
	if (license.Status !== "AVAILABLE") {
		return {
			type: "NoEntitlementsAllowedException",
			message: `License ${license.LicenseArn} is ${license.Status}; only AVAILABLE licenses can be borrowed.`,
		};
	}
	const begin = Date.parse(license.Validity.Begin);
	if (now < begin) {
		return {
			type: "NoEntitlementsAllowedException",
			message: `License is not valid before ${license.Validity.Begin}.`,
		};
	}
	if (license.Validity.End !== undefined && now >= Date.parse(license.Validity.End)) {
		return {
			type: "NoEntitlementsAllowedException",
			message: `License validity ended at ${license.Validity.End}.`,
		};
	}
	if (!license.ConsumptionConfiguration.BorrowConfiguration) {
		return {
			type: "NoEntitlementsAllowedException",
			message: "License does not allow borrowing: it has no BorrowConfiguration.",
		};
	}
	return null;
}

/**
 * SPEC §4 steps 8 and 9 and the borrow policy (§10): the leases a checkout would
 * hold, given what is held now. All requested entitlements fit together, or nothing
 * is leased. The policy is the current version's: live borrows keep what they got.
 */
export function planBorrow(
	license: License,
	requested: readonly RequestedEntitlement[],
	held: Holdings,
	borrower: Borrower,
): Result<Lease[]> {
	const policy = borrowPolicyOf(license.LicenseMetadata, license.Entitlements);
	if (policy.maxPerNode !== null && borrower.nodeId === undefined) {
		return fail(
			"ValidationException",
			`1 validation error detected: NodeId is required: this license's borrow policy ${MAX_PER_NODE} limits borrows per node.`,
		);
	}
	const leases: Lease[] = [];
	for (const want of requested) {
		const have = license.Entitlements.find((e) => e.Name === want.Name);
		if (!have) {
			return fail(
				"EntitlementNotAllowedException",
				`Entitlement '${want.Name}' is not on this license.`,
			);
		}
		if (have.Unit !== want.Unit) {
			return fail(
				"EntitlementNotAllowedException",
				`Entitlement '${want.Name}' is measured in ${have.Unit}, not ${want.Unit}.`,
			);
		}
		leases.push(
			isCounted(have.Unit)
				? {
						name: have.Name,
						unit: have.Unit,
						value: want.Value ?? "1",
						quantity: Number(want.Value ?? "1"),
					}
				: { name: have.Name, unit: have.Unit, value: have.Value, quantity: 0 },
		);
	}
	for (const lease of leases) {
		if (lease.quantity === 0) continue;
		const have = license.Entitlements.find((e) => e.Name === lease.name);
		if (!have) continue;
		const inUse = held.units(lease.name);
		// Usage is kept exactly as a double: even with Overage, a total past 2^53-1 is refused.
		if (lease.quantity > Number.MAX_SAFE_INTEGER - inUse) {
			return fail(
				"NoEntitlementsAllowedException",
				`Entitlement '${lease.name}' cannot be borrowed further: its total would exceed ${Number.MAX_SAFE_INTEGER}.`,
			);
		}
		if (have.Overage) continue;
		const available = Math.max(0, (have.MaxCount ?? 0) - inUse);
		if (lease.quantity > available) {
			return fail(
				"NoEntitlementsAllowedException",
				`Entitlement '${lease.name}' has ${available} of ${have.MaxCount ?? 0} ${have.Unit} available; ${lease.quantity} requested. Partial checkouts are not supported: nothing was reserved.`,
			);
		}
		const lowWater = policy.lowWater.get(lease.name) ?? 0;
		const lendable = Math.max(0, (have.MaxCount ?? 0) - lowWater - inUse);
		if (lowWater > 0 && lease.quantity > lendable) {
			return fail(
				"NoEntitlementsAllowedException",
				`Borrow policy borrow.lowWater keeps ${lowWater} ${have.Unit} of '${lease.name}' from being lent; ${lendable} can be borrowed, ${lease.quantity} requested. Nothing was reserved.`,
			);
		}
	}
	return policyRefusal(policy, held, borrower) ?? { ok: true, value: leases };
}

/** SPEC §10: the per-node and per-account limits on live borrows (a checkout counts from its decision). */
function policyRefusal(policy: BorrowPolicy, held: Holdings, borrower: Borrower): Failure | null {
	const { maxPerNode, maxPerAccount } = policy;
	if (maxPerNode !== null && borrower.nodeId !== undefined) {
		const holds = held.nodeBorrows(borrower.nodeId);
		if (holds >= maxPerNode) {
			return fail(
				"NoEntitlementsAllowedException",
				`Borrow policy ${MAX_PER_NODE} allows ${maxPerNode} live borrows per node; this NodeId holds ${holds}.`,
			);
		}
	}
	if (maxPerAccount !== null) {
		const holds = held.accountBorrows(borrower.accountId);
		if (holds >= maxPerAccount) {
			return fail(
				"NoEntitlementsAllowedException",
				`Borrow policy ${MAX_PER_ACCOUNT} allows ${maxPerAccount} live borrows per account; this account holds ${holds}.`,
			);
		}
	}
	return null;
}

/** SPEC §11 live borrows per license: one more borrow must stay within `max`. */
export function liveBorrowLimitRefusal(held: Holdings, max: number): Failure | null {
	if (held.borrows < max) return null;
	return limitExceeded(
		"live borrows per license",
		max,
		"Check in or wait for borrows to expire, then check out again.",
	);
}

/**
 * `Expiration` = now + TTL, never past the end of the license's validity, nor past
 * the deployment's maximum TTL: a retired signing key leaves the JWKS that long
 * after retiring, so no token may outlive it even if the maximum was lowered later.
 */
export function borrowExpiration(license: License, now: number, maxTtlMinutes: number): number {
	const ttlMinutes = Math.min(
		license.ConsumptionConfiguration.BorrowConfiguration?.MaxTimeToLiveInMinutes ?? 0,
		maxTtlMinutes,
	);
	const byTtl = now + ttlMinutes * 60_000;
	const end =
		license.Validity.End === undefined
			? Number.POSITIVE_INFINITY
			: Date.parse(license.Validity.End);
	return Math.min(byTtl, end);
}

/** SPEC §4 CheckInLicense: early return must be allowed by the license and by every borrowed entitlement. */
function earlyCheckInRefusal(license: License, leases: readonly Lease[]): string | null {
	if (!license.ConsumptionConfiguration.BorrowConfiguration?.AllowEarlyCheckIn) {
		return "Early check-in is not allowed: BorrowConfiguration.AllowEarlyCheckIn is false.";
	}
	for (const lease of leases) {
		const e = license.Entitlements.find((x) => x.Name === lease.name);
		if (e?.AllowCheckIn === false) {
			return `Early check-in is not allowed: entitlement '${lease.name}' has AllowCheckIn false.`;
		}
	}
	return null;
}

/**
 * What a CheckInLicense does to a borrow of the caller's (SPEC §4): nothing once it
 * has ended (a repeated check-in succeeds), settle it as expired if its time is up
 * and the alarm has not run yet, else return it early if the license allows that.
 */
export type CheckIn = "unchanged" | "expire" | "check-in";

export function checkInDecision(
	borrow: Borrow,
	license: License,
	beneficiary: string | undefined,
	now: number,
): Result<CheckIn> {
	if (
		beneficiary !== undefined &&
		beneficiary !== borrow.accountId &&
		beneficiary !== license.Beneficiary
	) {
		return fail(
			"ValidationException",
			"Beneficiary does not match the account that borrowed this license.",
		);
	}
	if (borrow.status !== "ACTIVE") return { ok: true, value: "unchanged" };
	if (borrow.expiresAt <= now) return { ok: true, value: "expire" };
	const refusal = earlyCheckInRefusal(license, borrow.leases);
	if (refusal) return fail("ValidationException", refusal);
	return { ok: true, value: "check-in" };
}

/** SPEC §4 ExtendLicenseConsumption: a live borrow of a license that still lends. */
export function extendRefusal(borrow: Borrow, license: License, now: number): Failure | null {
	if (borrow.status === "REVOKED") {
		return fail(
			"ValidationException",
			"The borrow was revoked by the license's issuer; it cannot be extended.",
		);
	}
	if (borrow.status !== "ACTIVE" || borrow.expiresAt <= now) {
		const state = borrow.status === "CHECKED_IN" ? "was checked in" : "has expired";
		return fail(
			"ValidationException",
			`The borrow ${state}; check out again instead of extending it.`,
		);
	}
	if (license.Status !== "AVAILABLE") {
		return fail(
			"ValidationException",
			`License is ${license.Status}; only borrows of AVAILABLE licenses can be extended.`,
		);
	}
	const refusal = borrowRefusal(license, now);
	return refusal ? fail("ValidationException", refusal.message) : null;
}

/** ExtendLicenseConsumption's answer: the borrow's (new, or with DryRun current) Expiration. */
export function extendResponse(token: string, expiration: string): string {
	return JSON.stringify({ LicenseConsumptionToken: token, Expiration: expiration });
}

/** GetLicenseUsage's answer: what live borrows hold of each entitlement (`None` units hold nothing). */
export function usageReport(license: License, consumed: (entitlement: string) => number): string {
	const EntitlementUsages = license.Entitlements.map((e) => ({
		Name: e.Name,
		ConsumedValue: String(e.Unit === "None" ? 0 : consumed(e.Name)),
		MaxCount: e.MaxCount === undefined ? undefined : String(e.MaxCount),
		Unit: e.Unit,
	}));
	return JSON.stringify({ LicenseUsage: { EntitlementUsages } });
}

/** A borrow as ListBorrows shows it (SPEC §8): by its public id, never its consumption token. */
export type BorrowView = WireBorrow;

export function borrowView(borrow: Borrow): BorrowView {
	return {
		BorrowId: borrow.borrowId,
		Account: borrow.accountId,
		...(borrow.nodeId !== null ? { NodeId: borrow.nodeId } : {}),
		EntitlementsAllowed: borrow.leases.map((l) => ({
			Name: l.name,
			Unit: l.unit,
			...(l.value !== undefined ? { Value: l.value } : {}),
		})),
		IssuedAt: isoSeconds(borrow.issuedAt),
		Expiration: isoSeconds(borrow.expiresAt),
		Status: borrow.status,
		...(borrow.returnedAt !== null ? { EndedAt: isoSeconds(borrow.returnedAt) } : {}),
		...(borrow.revokedAt !== null ? { RevokedAt: isoSeconds(borrow.revokedAt) } : {}),
		...(borrow.revokeReason !== null ? { RevokeReason: borrow.revokeReason } : {}),
	};
}

/**
 * SPEC §8 RevokeBorrow: an ACTIVE or CHECKED_IN borrow is revoked; a revoked one is
 * answered again unchanged; an expired one — or a live one past its Expiration the
 * alarm has not ended yet — is refused, its token being already dead.
 */
export function revokeDecision(borrow: Borrow, now: number): Result<"revoke" | "unchanged"> {
	if (borrow.status === "REVOKED") return { ok: true, value: "unchanged" };
	if (borrow.status === "EXPIRED" || (borrow.status === "ACTIVE" && borrow.expiresAt <= now)) {
		return fail(
			"ValidationException",
			`Borrow ${borrow.borrowId} has expired; its token no longer verifies, so there is nothing to revoke.`,
		);
	}
	return { ok: true, value: "revoke" };
}

export function revokeResponse(borrowId: string, revokedAt: string): string {
	return JSON.stringify({ BorrowId: borrowId, Status: "REVOKED", RevokedAt: revokedAt });
}
