import { borrowIdOf } from "../borrowId";
import { floorToSecond, isoSeconds } from "../clock";
import type { BorrowClaims } from "../signing/token";
import { borrowExpiration } from "./borrowRules";
import type { UnsignedCheckout } from "./contract";
import type { Lease, License, Metadata } from "./model";

/**
 * What a checkout answers, decided before anything is signed: the claims its token
 * carries and the response bytes around the signature. Pure, so that the decision
 * and its claims are committed before anything is signed: the object decides, the
 * Worker signs (src/operations/checkoutBorrowLicense.ts).
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
 * The CheckoutBorrowLicense response, as JSON.stringify would write it with the
 * signed token in place, split around that token: the object serialises it once at
 * the decision, the Worker puts the signature in (`signedCheckoutResponse`), and
 * the bytes stored back are what every replay returns (PSS is randomised; a
 * re-sign differs).
 */
export function checkoutResponseAround(grant: CheckoutGrant): { before: string; after: string } {
	const head = JSON.stringify({
		LicenseArn: grant.license.LicenseArn,
		LicenseConsumptionToken: grant.token,
		EntitlementsAllowed: entitlementsAllowed(grant.leases),
		NodeId: grant.nodeId,
	});
	const tail = JSON.stringify({
		IssuedAt: isoSeconds(grant.issuedAt),
		Expiration: isoSeconds(grant.expiresAt),
		CheckoutMetadata: grant.checkoutMetadata,
	});
	// LicenseArn is always there and so is IssuedAt: neither object is `{}`.
	return { before: `${head.slice(0, -1)},"SignedToken":`, after: `,${tail.slice(1)}` };
}

/** What the Worker needs to sign a decided checkout and answer it. */
export function unsignedCheckout(
	grant: CheckoutGrant,
	issuerId: string,
	decidedAt: number,
): UnsignedCheckout {
	return {
		claims: JSON.stringify(checkoutClaims(grant, issuerId)),
		decidedAt,
		...checkoutResponseAround(grant),
	};
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
