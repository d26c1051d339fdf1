import { borrowIdOf } from "../borrowId";
import { floorToSecond, isoSeconds } from "../clock";
import type { BorrowClaims } from "../signing/token";
import { borrowExpiration } from "./borrowRules";
import type { Lease, License, Metadata } from "./model";

/**
 * What a checkout answers, decided before anything is signed: the claims its token
 * carries and the response bytes around the signature. Pure, so that the decision
 * and its claims can be committed apart from signing (the object signs at one seam,
 * `LicenseObject.finishCheckout`; the Worker may sign instead one day).
 */
export interface CheckoutGrant {
	license: License;
	leases: readonly Lease[];
	/** The consumption token (a credential; the token's `jti` is its BorrowId). */
	token: string;
	/** Whole seconds (`floorToSecond`), so `Expiration` and `exp` name the same instant. */
	issuedAt: number;
	expiresAt: number;
	nodeId?: string;
	checkoutMetadata?: Metadata[];
}

/** `EntitlementsAllowed` of the response and of the D1 checkout record. */
export function entitlementsAllowed(
	leases: readonly Lease[],
): { Name: string; Unit: string; Value: string | undefined }[] {
	return leases.map((l) => ({ Name: l.name, Unit: l.unit, Value: l.value }));
}

/**
 * SPEC §5: AWS's claim names, plus iss/sub/exp/jti for standard JWT libraries. The
 * `jti` is the BorrowId (SPEC §8), the public id the revocation list names.
 */
export function checkoutClaims(grant: CheckoutGrant, issuerId: string): BorrowClaims {
	const { license, leases, token } = grant;
	// Null prototype: `__proto__` is a legal metadata name and must stay a plain claim.
	const checkoutMetadata: Record<string, string> = Object.create(null);
	for (const m of grant.checkoutMetadata ?? []) checkoutMetadata[m.Name] = m.Value;
	return {
		licenseArn: license.LicenseArn,
		licenseConsumptionToken: token,
		entitlementsAllowed: leases.map((l) => ({ name: l.name, value: l.value, unit: l.unit })),
		nodeId: grant.nodeId,
		issuedAt: isoSeconds(grant.issuedAt),
		expiration: isoSeconds(grant.expiresAt),
		checkoutMetadata,
		iss: issuerId,
		sub: license.LicenseArn,
		exp: grant.expiresAt / 1000,
		jti: borrowIdOf(token),
	};
}

/**
 * The CheckoutBorrowLicense response, serialised once: these bytes are stored with
 * the ClientToken and every replay returns them (PSS is randomised; a re-sign differs).
 */
export function checkoutResponse(grant: CheckoutGrant, signedToken: string): string {
	return JSON.stringify({
		LicenseArn: grant.license.LicenseArn,
		LicenseConsumptionToken: grant.token,
		EntitlementsAllowed: entitlementsAllowed(grant.leases),
		NodeId: grant.nodeId,
		SignedToken: signedToken,
		IssuedAt: isoSeconds(grant.issuedAt),
		Expiration: isoSeconds(grant.expiresAt),
		CheckoutMetadata: grant.checkoutMetadata,
	});
}

/**
 * The grant of a checkout decided at `now`: issued and expiring on whole seconds
 * (the token's `iat`/`exp` are seconds), with the request's NodeId and metadata.
 */
export function checkoutGrant(
	license: License,
	leases: readonly Lease[],
	token: string,
	now: number,
	maxTtlMinutes: number,
	request: { nodeId?: string; checkoutMetadata?: Metadata[] },
): CheckoutGrant {
	return {
		license,
		leases,
		token,
		issuedAt: floorToSecond(now),
		expiresAt: floorToSecond(borrowExpiration(license, now, maxTtlMinutes)),
		...(request.nodeId !== undefined ? { nodeId: request.nodeId } : {}),
		...(request.checkoutMetadata !== undefined
			? { checkoutMetadata: request.checkoutMetadata }
			: {}),
	};
}
