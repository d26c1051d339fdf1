import { Sha256 } from "@aws-crypto/sha256-js";
import { hex } from "./encoding";

/**
 * SPEC §8: a borrow's public id (the token's `jti`, shown by ListBorrows and the
 * audit trail, listed on the revocation list), derived from its
 * LicenseConsumptionToken, which stays a credential. SHA-256 is one-way, so
 * publishing the id reveals nothing that could check in or extend the borrow; the
 * label separates this hash from any other hash of a token, and `v1` lets a later
 * derivation coexist. 128 bits keep ids collision-free at any realistic count.
 *
 * Synchronous on purpose: the D1 writes are built synchronously from outbox rows
 * (src/records/d1.ts), and WebCrypto's digest is asynchronous only. The pure-JS
 * hash is AWS's own (the SDK's SigV4 uses it), small, and runs in workerd, Node
 * and browsers alike.
 */
export const BORROW_ID_LABEL = "edge-license-manager/borrow-id/v1";

/** `b-` and 32 lower-case hex digits. */
export const BORROW_ID_PATTERN = /^b-[0-9a-f]{32}$/;

const encoder = new TextEncoder();

export function borrowIdOf(consumptionToken: string): string {
	const hash = new Sha256();
	hash.update(encoder.encode(`${BORROW_ID_LABEL}\0${consumptionToken}`));
	return `b-${hex(hash.digestSync()).slice(0, 32)}`;
}
