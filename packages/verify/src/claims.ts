import { BorrowTokenError } from "./errors.js";
import { show } from "./show.js";

/** One entry of `entitlementsAllowed`, as CheckoutBorrowLicense granted it. */
export interface BorrowTokenEntitlement {
	name: string;
	/** A decimal string; for unit "None" the license's value, or absent. */
	value?: string;
	unit: string;
}

/** The verified payload of a `SignedToken` from CheckoutBorrowLicense. */
export interface BorrowTokenClaims {
	licenseArn: string;
	licenseConsumptionToken: string;
	entitlementsAllowed: BorrowTokenEntitlement[];
	/** Present only when a node id was given at checkout. */
	nodeId?: string;
	/** ISO-8601 UTC, e.g. "2026-11-26T08:00:00Z". */
	issuedAt: string;
	/** ISO-8601 UTC; the same instant as `exp`. */
	expiration: string;
	checkoutMetadata: Record<string, string>;
	iss: string;
	/** Always equal to licenseArn. */
	sub: string;
	/** Seconds since the epoch. */
	exp: number;
	jti: string;
}

/** Claims plus their instants in epoch milliseconds, so callers do not re-parse. */
export interface ParsedClaims {
	claims: BorrowTokenClaims;
	issuedAtMs: number;
	expirationMs: number;
}

function malformed(message: string): never {
	throw new BorrowTokenError("MALFORMED", message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireString(payload: Record<string, unknown>, name: string): string {
	const value = payload[name];
	if (typeof value !== "string" || value === "")
		malformed(`claim "${name}" must be a non-empty string`);
	return value;
}

// The service writes whole seconds ("…T08:00:00Z"); a fraction is tolerated so a
// future millisecond-precision issuer does not break deployed verifiers. Offsets other
// than Z are refused: the format promises UTC, and Date.parse would accept much more.
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** Epoch ms of an ISO-8601 UTC timestamp in the service's format, or undefined. */
export function parseIsoUtc(value: unknown): number | undefined {
	if (typeof value !== "string" || !ISO_UTC.test(value)) return undefined;
	const ms = Date.parse(value);
	// Round-trip the date/time fields: some engines accept "2026-02-30" and roll over.
	if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== value.slice(0, 19)) {
		return undefined;
	}
	return ms;
}

function requireInstant(payload: Record<string, unknown>, name: string): number {
	const value = requireString(payload, name);
	const ms = parseIsoUtc(value);
	if (ms === undefined) {
		malformed(`claim "${name}" must be an ISO-8601 UTC timestamp, got ${show(value)}`);
	}
	return ms;
}

function parseEntitlements(value: unknown): BorrowTokenEntitlement[] {
	if (!Array.isArray(value)) malformed('claim "entitlementsAllowed" must be an array');
	return value.map((entry: unknown, i) => {
		if (!isRecord(entry)) malformed(`entitlementsAllowed[${i}] must be an object`);
		const { name, unit, value: amount } = entry;
		if (typeof name !== "string" || name === "") {
			malformed(`entitlementsAllowed[${i}].name must be a non-empty string`);
		}
		if (typeof unit !== "string" || unit === "") {
			malformed(`entitlementsAllowed[${i}].unit must be a non-empty string`);
		}
		if (amount !== undefined && typeof amount !== "string") {
			malformed(`entitlementsAllowed[${i}].value must be a string when present`);
		}
		return amount === undefined ? { name, unit } : { name, value: amount, unit };
	});
}

function parseMetadata(value: unknown): Record<string, string> {
	if (!isRecord(value)) malformed('claim "checkoutMetadata" must be an object');
	const entries = Object.entries(value);
	for (const [key, v] of entries) {
		if (typeof v !== "string") malformed(`checkoutMetadata[${show(key)}] must be a string`);
	}
	// fromEntries defines own properties, so a "__proto__" key stays data.
	return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * Checks the payload has the shape the service issues and copies out exactly the
 * documented claims (unknown claims are dropped rather than passed through untyped).
 * Runs only after the signature verified: the payload is trusted, but still
 * validated so a service bug surfaces as MALFORMED instead of a crash in the app.
 */
export function parseClaims(payloadBytes: Uint8Array): ParsedClaims {
	let payload: unknown;
	try {
		payload = JSON.parse(
			new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(payloadBytes),
		);
	} catch (cause) {
		throw new BorrowTokenError("MALFORMED", "payload is not UTF-8 JSON", { cause });
	}
	if (!isRecord(payload)) malformed("payload must be a JSON object");

	const issuedAtMs = requireInstant(payload, "issuedAt");
	const expirationMs = requireInstant(payload, "expiration");
	const exp = payload.exp;
	if (typeof exp !== "number" || !Number.isFinite(exp)) malformed('claim "exp" must be a number');
	// exp and expiration are two spellings of one instant; if they disagree, a check
	// based on either would be wrong for someone, so the token is refused outright.
	if (Math.floor(exp) !== Math.floor(expirationMs / 1000)) {
		malformed(`claim "exp" (${exp}) does not match "expiration" (${show(payload.expiration)})`);
	}
	if (issuedAtMs > expirationMs) malformed('"issuedAt" is after "expiration"');

	const nodeId = payload.nodeId;
	if (nodeId !== undefined && (typeof nodeId !== "string" || nodeId === "")) {
		malformed('claim "nodeId" must be a non-empty string when present');
	}

	const claims: BorrowTokenClaims = {
		licenseArn: requireString(payload, "licenseArn"),
		licenseConsumptionToken: requireString(payload, "licenseConsumptionToken"),
		entitlementsAllowed: parseEntitlements(payload.entitlementsAllowed),
		...(nodeId === undefined ? {} : { nodeId }),
		issuedAt: payload.issuedAt as string,
		expiration: payload.expiration as string,
		checkoutMetadata: parseMetadata(payload.checkoutMetadata),
		iss: requireString(payload, "iss"),
		sub: requireString(payload, "sub"),
		exp,
		jti: requireString(payload, "jti"),
	};
	return { claims, issuedAtMs, expirationMs };
}
