import type { JSONWebKeySet } from "jose";
import { BorrowTokenConfigError } from "./errors.js";
import { assertJwks } from "./keys.js";
import type { RevocationList } from "./revocations.js";

/** An entitlement the app needs. `unit` and `minValue` are only checked when given. */
export interface ExpectedEntitlement {
	name: string;
	/** Must equal the granted unit exactly, e.g. "Count", "None". */
	unit?: string;
	/** The granted value must be a number ≥ this (decimal strings accepted). */
	minValue?: number | string;
}

export interface VerifyBorrowTokenOptions {
	/** The JWKS the app fetched (GET /.well-known/jwks.json) and keeps as a snapshot. */
	keys: JSONWebKeySet;
	/**
	 * Required. Every tenant's tokens are signed with the deployment's keys, so a
	 * valid signature alone only proves "some customer of this deployment borrowed
	 * some license"; binding to the expected ARN is what makes the token yours.
	 */
	licenseArn: string;
	/** Expected `iss` (the deployment's issuer id, e.g. "edge-license-manager"). */
	issuer?: string;
	/** The verifier's "now"; defaults to the system clock. */
	now?: Date | number;
	/** Allowed clock skew in seconds, applied to both ends of the validity window. Default 300. */
	clockToleranceSec?: number;
	/** This machine's node id; when given, the token must be bound to exactly it. */
	nodeId?: string;
	/** Entitlements that must have been granted; bare strings check the name only. */
	entitlements?: ReadonlyArray<ExpectedEntitlement> | ReadonlyArray<string>;
	/**
	 * The license's revocation list, as verifyRevocationList / fetchRevocationList
	 * returned it (for the same licenseArn): a listed token is refused with REVOKED.
	 * Its age is not checked here — a listed token stays revoked — only when it is
	 * verified; keep the newest one you could fetch.
	 */
	revocationList?: RevocationList;
}

/**
 * Five minutes, the usual SigV4 request-skew allowance: an app whose clock was good
 * enough to sign CheckoutBorrowLicense is then never refused NOT_YET_VALID for the
 * token it just got. Against borrow periods of hours to days, honouring a token for
 * five extra minutes is immaterial; apps that want strictness pass their own.
 */
export const DEFAULT_CLOCK_TOLERANCE_SEC = 300;

export interface NormalizedEntitlement {
	name: string;
	unit: string | undefined;
	minValue: number | undefined;
}

export interface NormalizedOptions {
	keys: JSONWebKeySet;
	licenseArn: string;
	issuer: string | undefined;
	nowMs: number;
	toleranceMs: number;
	nodeId: string | undefined;
	entitlements: NormalizedEntitlement[];
	revocationList: RevocationList | undefined;
}

// Plain decimal only: Number() would also take "", " ", "0x10" and "Infinity".
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal string or finite number as a number, or undefined if it is neither. */
export function parseDecimal(value: unknown): number | undefined {
	if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
	if (typeof value !== "string" || !DECIMAL.test(value)) return undefined;
	const n = Number(value);
	return Number.isFinite(n) ? n : undefined;
}

function optionalString(value: unknown, name: string): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== "string" || value === "")
		throw new BorrowTokenConfigError(`${name} must be a non-empty string`);
	return value;
}

function normalizeEntitlement(entry: unknown, i: number): NormalizedEntitlement {
	if (typeof entry === "string" && entry !== "")
		return { name: entry, unit: undefined, minValue: undefined };
	if (typeof entry !== "object" || entry === null) {
		throw new BorrowTokenConfigError(
			`entitlements[${i}] must be a name or { name, unit?, minValue? }`,
		);
	}
	const { name, unit, minValue } = entry as Record<string, unknown>;
	if (typeof name !== "string" || name === "") {
		throw new BorrowTokenConfigError(`entitlements[${i}].name must be a non-empty string`);
	}
	const min = minValue === undefined ? undefined : parseDecimal(minValue);
	if (minValue !== undefined && min === undefined) {
		throw new BorrowTokenConfigError(
			`entitlements[${i}].minValue must be a finite number or decimal string`,
		);
	}
	return { name, unit: optionalString(unit, `entitlements[${i}].unit`), minValue: min };
}

/** Validates options once, up front, so a config mistake is never reported as a bad token. */
export function normalizeOptions(opts: VerifyBorrowTokenOptions): NormalizedOptions {
	if (typeof opts !== "object" || opts === null)
		throw new BorrowTokenConfigError("options are required");
	const licenseArn = optionalString(opts.licenseArn, "licenseArn");
	if (licenseArn === undefined) {
		throw new BorrowTokenConfigError(
			"licenseArn is required: tokens of all tenants share the deployment's signing keys",
		);
	}
	assertJwks(opts.keys);

	const now = opts.now ?? Date.now();
	const nowMs = now instanceof Date ? now.getTime() : now;
	if (typeof nowMs !== "number" || !Number.isFinite(nowMs)) {
		throw new BorrowTokenConfigError("now must be a valid Date or epoch milliseconds");
	}
	const tolerance = opts.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
	if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0) {
		throw new BorrowTokenConfigError("clockToleranceSec must be a non-negative number");
	}
	const expected: ReadonlyArray<unknown> = opts.entitlements ?? [];
	if (!Array.isArray(expected)) throw new BorrowTokenConfigError("entitlements must be an array");
	const list = opts.revocationList;
	if (list !== undefined) {
		if (typeof list !== "object" || list === null || !(list.revoked instanceof Map)) {
			throw new BorrowTokenConfigError(
				"revocationList must be what verifyRevocationList or fetchRevocationList returned",
			);
		}
		// A list is per license: another license's list would let every token pass.
		if (list.licenseArn !== licenseArn) {
			throw new BorrowTokenConfigError(
				`revocationList is for license ${list.licenseArn}, not ${licenseArn}`,
			);
		}
	}

	return {
		keys: opts.keys,
		licenseArn,
		issuer: optionalString(opts.issuer, "issuer"),
		nowMs,
		toleranceMs: tolerance * 1000,
		nodeId: optionalString(opts.nodeId, "nodeId"),
		entitlements: expected.map(normalizeEntitlement),
		revocationList: list,
	};
}
