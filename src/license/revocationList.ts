import { floorToSecond, isoSeconds } from "../clock";
import type { ListedBorrow, StoredRevocationList } from "./storage";

/**
 * SPEC §9: the license's revocation list — every borrow checked in or revoked whose
 * token has not yet expired — as the claims of a signed JWS. Pure: the keeper reads
 * the entries and signs (./revocationListKeeper.ts); this builds the claims and says
 * whether the list it keeps can still be served.
 */

export const REVOCATION_LIST_TYP = "revocation-list+jwt";

export interface RevocationListClaims {
	iss: string;
	/** The license ARN: a verifier requires its own. */
	sub: string;
	issuedAt: string;
	exp: number;
	revoked: { jti: string; exp: number; reason: ListedBorrow["status"] }[];
}

export function revocationListClaims(
	issuerId: string,
	licenseArn: string,
	listed: readonly ListedBorrow[],
	now: number,
	ttlMs: number,
): RevocationListClaims {
	const issuedAt = floorToSecond(now);
	return {
		iss: issuerId,
		sub: licenseArn,
		issuedAt: isoSeconds(issuedAt),
		exp: (issuedAt + ttlMs) / 1000,
		revoked: listed.map((b) => ({
			jti: b.borrowId,
			exp: Math.floor(b.tokenExp / 1000),
			reason: b.status,
		})),
	};
}

/**
 * The kept list is served while nothing joined the list since it was signed
 * (`changes`), no entry has left it (`nextDropAt`: the earliest token exp in it) and
 * it is younger than half its life, so a client that caches it until `exp` never
 * holds one older than that. Anything else costs one new signature.
 */
export function keptListServes(
	kept: StoredRevocationList,
	changes: number,
	now: number,
	ttlMs: number,
): boolean {
	return (
		kept.changes === changes &&
		(kept.nextDropAt === null || now < kept.nextDropAt) &&
		now < kept.issuedAt + ttlMs / 2
	);
}
