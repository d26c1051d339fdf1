import { fail, type Result, type WireError } from "../result";
import type { RequestedEntitlement } from "./contract";
import { isCounted, type Lease, type License } from "./model";

/** Pure rules of a borrow: who may consume, whether the license lends now, what fits. */

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
 * SPEC §4 steps 8 and 9. `inUse(name)` is what live and in-flight borrows hold.
 * All requested entitlements fit together, or nothing is leased.
 */
export function planLeases(
	license: License,
	requested: readonly RequestedEntitlement[],
	inUse: (name: string) => number,
): Result<Lease[]> {
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
		// Usage is kept exactly as a double: even with Overage, a total past 2^53-1 is refused.
		if (lease.quantity > Number.MAX_SAFE_INTEGER - inUse(lease.name)) {
			return fail(
				"NoEntitlementsAllowedException",
				`Entitlement '${lease.name}' cannot be borrowed further: its total would exceed ${Number.MAX_SAFE_INTEGER}.`,
			);
		}
		if (have.Overage) continue;
		const available = Math.max(0, (have.MaxCount ?? 0) - inUse(lease.name));
		if (lease.quantity > available) {
			return fail(
				"NoEntitlementsAllowedException",
				`Entitlement '${lease.name}' has ${available} of ${have.MaxCount ?? 0} ${have.Unit} available; ${lease.quantity} requested. Partial checkouts are not supported: nothing was reserved.`,
			);
		}
	}
	return { ok: true, value: leases };
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
export function checkInRefusal(license: License, leases: readonly Lease[]): string | null {
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
