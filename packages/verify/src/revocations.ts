import type { JSONWebKeySet } from "jose";
import type { BorrowTokenClaims } from "./claims.js";
import { parseIsoUtc } from "./claims.js";
import { BorrowTokenConfigError, BorrowTokenError } from "./errors.js";
import { type FetchJwksOptions, getNoRedirect, secureUrl } from "./fetch-jwks.js";
import { assertJwks, describeKidMiss, keysForKid } from "./keys.js";
import { DEFAULT_CLOCK_TOLERANCE_SEC } from "./options.js";
import { show } from "./show.js";
import { readHeader, verifySignature } from "./verify.js";

/**
 * The service's revocation list (SPEC §9): `GET /revocations/<license-id>`, a JWS
 * signed with the same keys as borrow tokens, listing every borrow of one license
 * that was checked in or revoked while its token still verifies. A client that comes
 * online fetches it, verifies it, and from then on refuses the listed tokens.
 */

export const REVOCATION_LIST_TYP = "revocation-list+jwt";

export interface RevokedBorrow {
	/** The token's exp, seconds since the epoch: after it the entry leaves the list. */
	exp: number;
	reason: "CHECKED_IN" | "REVOKED";
}

/** A verified revocation list: pass it as `revocationList` to verifyBorrowToken. */
export interface RevocationList {
	/** The license it is for (its `sub`). */
	licenseArn: string;
	iss: string;
	/** When the service signed it, and when it stops being current (epoch ms). */
	issuedAtMs: number;
	expiresAtMs: number;
	/** jti (BorrowId) → entry. */
	revoked: ReadonlyMap<string, RevokedBorrow>;
}

export interface VerifyRevocationListOptions {
	/** The same JWKS snapshot borrow tokens are verified with. */
	keys: JSONWebKeySet;
	/** Required: the license this app holds; a list for another license is refused. */
	licenseArn: string;
	/** Expected `iss` (the deployment's ISSUER_ID). */
	issuer?: string;
	now?: Date | number;
	/** Allowed clock skew in seconds for the list's exp. Default 300. */
	clockToleranceSec?: number;
}

function malformed(message: string): never {
	throw new BorrowTokenError("MALFORMED", `revocation list: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseEntries(value: unknown): Map<string, RevokedBorrow> {
	if (!Array.isArray(value)) malformed('claim "revoked" must be an array');
	const out = new Map<string, RevokedBorrow>();
	value.forEach((entry: unknown, i) => {
		if (!isRecord(entry)) malformed(`revoked[${i}] must be an object`);
		const { jti, exp, reason } = entry;
		if (typeof jti !== "string" || jti === "") malformed(`revoked[${i}].jti must be a string`);
		if (typeof exp !== "number" || !Number.isFinite(exp))
			malformed(`revoked[${i}].exp must be a number`);
		if (reason !== "CHECKED_IN" && reason !== "REVOKED")
			malformed(`revoked[${i}].reason must be CHECKED_IN or REVOKED, got ${show(reason)}`);
		out.set(jti, { exp, reason });
	});
	return out;
}

/**
 * Verifies a revocation list JWS: PS384 with a key of `keys` (the same checks as a
 * token: algorithm pinned, kid required, no JWS extensions), `typ`
 * "revocation-list+jwt", `sub` the expected license, `iss` if given, and not past
 * its `exp` (→ STALE_REVOCATION_LIST: fetch a fresh one). Resolves with the list.
 */
export async function verifyRevocationList(
	jws: string,
	options: VerifyRevocationListOptions,
): Promise<RevocationList> {
	if (typeof options !== "object" || options === null)
		throw new BorrowTokenConfigError("options are required");
	const { licenseArn } = options;
	if (typeof licenseArn !== "string" || licenseArn === "")
		throw new BorrowTokenConfigError("licenseArn is required: a revocation list is per license");
	assertJwks(options.keys);
	const now = options.now ?? Date.now();
	const nowMs = now instanceof Date ? now.getTime() : now;
	if (typeof nowMs !== "number" || !Number.isFinite(nowMs))
		throw new BorrowTokenConfigError("now must be a valid Date or epoch milliseconds");
	const tolerance = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
	if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0)
		throw new BorrowTokenConfigError("clockToleranceSec must be a non-negative number");

	const { kid, typ } = readHeader(typeof jws === "string" ? jws.trim() : jws);
	// A borrow token is signed with the same keys: typ keeps one from passing as a list.
	if (typ !== REVOCATION_LIST_TYP)
		malformed(`header typ is ${show(typ ?? null)}, expected ${show(REVOCATION_LIST_TYP)}`);
	const keys = await keysForKid(options.keys, kid);
	if (keys.length === 0)
		throw new BorrowTokenError(
			"UNKNOWN_KID",
			`${describeKidMiss(options.keys, kid)}; refresh the JWKS if online`,
		);
	const { payload } = await verifySignature(jws.trim(), keys);
	let claims: unknown;
	try {
		claims = JSON.parse(
			new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(payload),
		);
	} catch (cause) {
		throw new BorrowTokenError("MALFORMED", "revocation list: payload is not UTF-8 JSON", {
			cause,
		});
	}
	if (!isRecord(claims)) malformed("payload must be a JSON object");
	const { iss, sub, exp } = claims;
	if (typeof iss !== "string" || iss === "") malformed('claim "iss" must be a string');
	if (typeof sub !== "string" || sub === "") malformed('claim "sub" must be a string');
	if (typeof exp !== "number" || !Number.isFinite(exp)) malformed('claim "exp" must be a number');
	const issuedAtMs = parseIsoUtc(claims.issuedAt);
	if (issuedAtMs === undefined) malformed('claim "issuedAt" must be an ISO-8601 UTC timestamp');
	const revoked = parseEntries(claims.revoked);
	if (options.issuer !== undefined && iss !== options.issuer)
		throw new BorrowTokenError(
			"WRONG_ISSUER",
			`revocation list issuer is ${show(iss)}, expected ${show(options.issuer)}`,
		);
	if (sub !== licenseArn)
		throw new BorrowTokenError(
			"WRONG_LICENSE",
			`revocation list is for license ${show(sub)}, expected ${show(licenseArn)}`,
		);
	const expiresAtMs = exp * 1000;
	if (nowMs >= expiresAtMs + tolerance * 1000)
		throw new BorrowTokenError(
			"STALE_REVOCATION_LIST",
			`revocation list expired at ${new Date(expiresAtMs).toISOString()} (now ${new Date(nowMs).toISOString()}); fetch a fresh one`,
		);
	return { licenseArn: sub, iss, issuedAtMs, expiresAtMs, revoked };
}

/**
 * Fetches `url` (normally `<endpoint>/revocations/<license-id>`) and verifies it
 * (verifyRevocationList). HTTPS only, redirects refused, as fetchJwks.
 */
export async function fetchRevocationList(
	url: string | URL,
	options: VerifyRevocationListOptions,
	init?: RequestInit,
	fetchOptions: FetchJwksOptions = {},
): Promise<RevocationList> {
	const target = secureUrl(url, fetchOptions, "revocation list");
	const res = await getNoRedirect(target, "application/jwt", init);
	return verifyRevocationList(await res.text(), options);
}

const BORROW_ID_LABEL = "edge-license-manager/borrow-id/v1";

/** The service's BorrowId of a consumption token (its src/borrowId.ts): b- and 32 hex of SHA-256. */
async function borrowIdOf(consumptionToken: string): Promise<string> {
	const bytes = new TextEncoder().encode(`${BORROW_ID_LABEL}\0${consumptionToken}`);
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
	const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
	return `b-${hex}`;
}

/**
 * REVOKED if the token's jti is listed. Tokens signed before BorrowIds existed carry
 * their consumption token as jti; the list names them by the BorrowId derived from
 * it, so that one is looked up too.
 */
export async function checkNotRevoked(
	claims: BorrowTokenClaims,
	list: RevocationList,
): Promise<void> {
	let entry = list.revoked.get(claims.jti);
	if (!entry && claims.jti === claims.licenseConsumptionToken)
		entry = list.revoked.get(await borrowIdOf(claims.licenseConsumptionToken));
	if (!entry) return;
	const why = entry.reason === "REVOKED" ? "revoked by the license's issuer" : "checked in";
	throw new BorrowTokenError(
		"REVOKED",
		`borrow ${show(claims.jti)} was ${why} (revocation list of ${new Date(list.issuedAtMs).toISOString()}); check out again`,
	);
}
